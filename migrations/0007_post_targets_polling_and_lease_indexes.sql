ALTER TABLE "post_targets" ADD COLUMN "polling" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "post_targets_lease_idx" ON "post_targets" USING btree ("lease_until") WHERE status = 'publishing';--> statement-breakpoint
CREATE INDEX "post_targets_paused_idx" ON "post_targets" USING btree ("scheduled_at") WHERE status = 'paused';