/** People's words for the stable reason codes the lifecycle records (shown in alerts and the health API). */
const TEXT: Record<string, string> = {
  invalid_grant: 'the platform no longer accepts the stored authorization',
  token_revoked: 'access was revoked on the platform',
  password_changed: 'the account password was changed',
  role_lost: 'the account lost its role on the page or organization',
  deauthorized: 'the app was removed from the account on the platform',
  authorization_removed: 'the app was removed from the account on the platform',
  rotation_lost: 'a token renewal was interrupted and the platform refused the previous token',
  refresh_token_end: 'the platform limits how long an authorization lasts',
  data_access_expired: "the platform's data-access period ended",
  grant_end: 'the authorization reached its end date',
  google_testing_mode: "Google ends every authorization of an app in testing mode 7 days after consent (publish the app's consent screen to lift this)",
  access_token_end: 'the access token expired and the platform offers no automatic renewal',
  inactivity_reauth: 'this instance requires re-authorization after a period of inactivity',
};

export function reasonText(reason: string): string {
  return TEXT[reason] ?? `the platform reported "${reason}"`;
}
