ALTER TABLE "pending_account_selections" ALTER COLUMN "grant_enc" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "grant_key" text;--> statement-breakpoint
CREATE INDEX "connections_live_grant_key_idx" ON "connections" USING btree ("grant_key") WHERE "connections"."disconnected_at" is null;--> statement-breakpoint
CREATE INDEX "pending_account_selections_expires_idx" ON "pending_account_selections" USING btree ("expires_at");