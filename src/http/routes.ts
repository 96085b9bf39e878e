import type { RouteModule } from './app.ts';
import { authRoutes } from '../accounts/authRoutes.ts';
import { instanceRoutes } from '../accounts/instanceRoutes.ts';
import { tokenRoutes } from '../accounts/tokenRoutes.ts';
import { workspaceRoutes } from '../workspaces/workspaceRoutes.ts';
import { memberRoutes } from '../workspaces/memberRoutes.ts';
import { invitationRoutes } from '../workspaces/invitationRoutes.ts';
import { targetRoutes } from '../publishing/targetRoutes.ts';
import { postsRoutes } from '../posts/postsRoutes.ts';
import { campaignsRoutes } from '../campaigns/campaignsRoutes.ts';
import { mediaRoutes } from '../media/mediaRoutes.ts';
import { importRoutes } from '../posts/importRoutes.ts';
import { plannerRoutes } from '../posts/plannerRoutes.ts';
import { platformRoutes } from '../connections/platformRoutes.ts';
import { connectionRoutes } from '../connections/connectionRoutes.ts';
import { oauthCallbackRoutes } from '../connections/oauthCallbackRoutes.ts';
import { emulatorRoutes } from '../emulator/emulatorRoutes.ts';
import { alertsRoutes } from '../alerts/alertsRoutes.ts';
import { healthRoutes } from '../lifecycle/healthRoutes.ts';
import { platformWebhookRoutes } from '../lifecycle/platformWebhookRoutes.ts';
import { webhookRoutes } from '../webhooks/webhookRoutes.ts';
import { webRoutes } from '../web/webRoutes.ts';

/** The domains' route modules, in registration order. */
export const routeModules: RouteModule[] = [
  authRoutes,
  tokenRoutes,
  instanceRoutes,
  workspaceRoutes,
  memberRoutes,
  invitationRoutes,
  targetRoutes,
  postsRoutes,
  campaignsRoutes,
  mediaRoutes,
  importRoutes,
  plannerRoutes,
  platformRoutes,
  connectionRoutes,
  oauthCallbackRoutes,
  emulatorRoutes,
  alertsRoutes,
  healthRoutes,
  platformWebhookRoutes,
  webhookRoutes,
  webRoutes,
];
