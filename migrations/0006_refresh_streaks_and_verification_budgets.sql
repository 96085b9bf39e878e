CREATE TABLE "verification_budgets" (
	"platform" text PRIMARY KEY NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"used" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "connection_refreshes" ADD COLUMN "retry_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "connection_refreshes" ADD COLUMN "retry_purpose" text;--> statement-breakpoint
ALTER TABLE "connection_refreshes" ADD COLUMN "granted_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "connection_refreshes_leased_idx" ON "connection_refreshes" USING btree ("lease_until") WHERE "connection_refreshes"."lease_until" is not null;