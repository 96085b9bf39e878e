import { buildApp, type App } from '../../http/app.ts';
import { routeModules } from '../../http/routes.ts';
import { openTestContext, type TestContext } from '../../testing/testContext.ts';
import { createWorkspace, signUpAndSignIn, type TestAuth } from '../../testing/testUsers.ts';
import type { PlatformId } from '../../providers/types.ts';
import { insertTestConnection, type TestConnectionOptions } from './postsFixtures.ts';

/** An app with every route module, a signed-in owner and a workspace in `timeZone`. */
export type PostsTestApp = {
  ctx: TestContext;
  app: App;
  auth: TestAuth;
  workspaceId: string;
  /** Adds a connection to the workspace (default: active). */
  connect(platform: PlatformId, options?: Omit<TestConnectionOptions, 'platform'>): Promise<string>;
  close(): Promise<void>;
};

export async function openPostsTestApp(options: { timeZone?: string; startMs?: number; env?: Record<string, string> } = {}): Promise<PostsTestApp> {
  const ctx = await openTestContext({ ...(options.startMs ? { startMs: options.startMs } : {}), ...(options.env ? { env: options.env } : {}) });
  const app = await buildApp(ctx, { routes: routeModules });
  const auth = await signUpAndSignIn(app);
  const workspaceId = await createWorkspace(app, auth, 'Posts', options.timeZone ?? 'UTC');
  return {
    ctx,
    app,
    auth,
    workspaceId,
    connect: (platform, o = {}) => insertTestConnection(ctx.db, workspaceId, { platform, ...o }),
    async close() {
      await app.close();
      await ctx.close();
    },
  };
}
