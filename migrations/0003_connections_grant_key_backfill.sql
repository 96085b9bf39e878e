-- connections.grant_key for connections made before it existed (the formats of Provider.grantKey).
UPDATE connections SET grant_key = 'facebook-login:' || app_client_id || ':' || (meta->>'userId')
 WHERE grant_key IS NULL AND disconnected_at IS NULL AND platform IN ('facebook', 'instagram_fb') AND app_client_id IS NOT NULL AND coalesce(meta->>'userId', '') <> '';--> statement-breakpoint
UPDATE connections SET grant_key = 'tiktok:' || app_client_id || ':' || platform_account_id
 WHERE grant_key IS NULL AND disconnected_at IS NULL AND platform = 'tiktok' AND app_client_id IS NOT NULL;--> statement-breakpoint
UPDATE connections SET grant_key = 'google:' || app_client_id || ':' || coalesce(nullif(meta->>'googleUserId', ''), 'channel:' || platform_account_id)
 WHERE grant_key IS NULL AND disconnected_at IS NULL AND platform = 'youtube' AND app_client_id IS NOT NULL;--> statement-breakpoint
UPDATE connections SET grant_key = 'mastodon:' || regexp_replace(meta->>'instanceUrl', '^[a-z]+://([^/]+).*$', '\1') || ':' || app_client_id || ':' || platform_account_id
 WHERE grant_key IS NULL AND disconnected_at IS NULL AND platform = 'mastodon' AND app_client_id IS NOT NULL AND coalesce(meta->>'instanceUrl', '') <> '';
