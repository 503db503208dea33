CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`name` text NOT NULL,
	`token_hash` text NOT NULL,
	`scopes` text DEFAULT '[]' NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_token_hash_unique` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `api_tokens_user_idx` ON `api_tokens` (`user_id`);--> statement-breakpoint
CREATE TABLE `assignments` (
	`id` text PRIMARY KEY NOT NULL,
	`item_id` text NOT NULL,
	`batch_id` text NOT NULL,
	`reviewer_id` text NOT NULL,
	`status` text NOT NULL,
	`done_at` integer,
	`display_order` text NOT NULL,
	`leased_at` integer NOT NULL,
	`lease_expires_at` integer NOT NULL,
	FOREIGN KEY (`item_id`) REFERENCES `items`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`batch_id`) REFERENCES `batches`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`reviewer_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "assignments_status_check" CHECK("assignments"."status" in ('leased', 'submitted', 'skipped', 'expired'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `assignments_item_reviewer_idx` ON `assignments` (`item_id`,`reviewer_id`);--> statement-breakpoint
CREATE INDEX `assignments_reviewer_batch_idx` ON `assignments` (`reviewer_id`,`batch_id`,`status`);--> statement-breakpoint
CREATE INDEX `assignments_lease_idx` ON `assignments` (`status`,`lease_expires_at`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text,
	`action` text NOT NULL,
	`subject` text DEFAULT '' NOT NULL,
	`detail` text DEFAULT '{}' NOT NULL,
	`at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `audit_log_at_idx` ON `audit_log` (`at`);--> statement-breakpoint
CREATE TABLE `batch_reviewers` (
	`batch_id` text NOT NULL,
	`user_id` text NOT NULL,
	PRIMARY KEY(`batch_id`, `user_id`),
	FOREIGN KEY (`batch_id`) REFERENCES `batches`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `batch_reviewers_user_idx` ON `batch_reviewers` (`user_id`);--> statement-breakpoint
CREATE TABLE `batches` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`dataset_id` text NOT NULL,
	`task` text NOT NULL,
	`config` text NOT NULL,
	`overlap` integer DEFAULT 1 NOT NULL,
	`status` text DEFAULT 'draft' NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`dataset_id`) REFERENCES `datasets`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "batches_task_check" CHECK("batches"."task" in ('pairwise', 'ranking', 'rating')),
	CONSTRAINT "batches_status_check" CHECK("batches"."status" in ('draft', 'active', 'paused', 'closed'))
);
--> statement-breakpoint
CREATE INDEX `batches_dataset_idx` ON `batches` (`dataset_id`);--> statement-breakpoint
CREATE TABLE `datasets` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`source` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `datasets_name_unique` ON `datasets` (`name`);--> statement-breakpoint
CREATE TABLE `exports` (
	`id` text PRIMARY KEY NOT NULL,
	`batch_id` text,
	`format` text NOT NULL,
	`options` text NOT NULL,
	`row_count` integer NOT NULL,
	`sha256` text NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`batch_id`) REFERENCES `batches`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `items` (
	`id` text PRIMARY KEY NOT NULL,
	`batch_id` text NOT NULL,
	`prompt_id` text NOT NULL,
	`response_ids` text NOT NULL,
	`is_gold` integer DEFAULT false NOT NULL,
	`gold_answer` text,
	`position` integer NOT NULL,
	`claims` integer DEFAULT 0 NOT NULL,
	`submitted` integer DEFAULT 0 NOT NULL,
	`open` integer DEFAULT true NOT NULL,
	FOREIGN KEY (`batch_id`) REFERENCES `batches`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`prompt_id`) REFERENCES `prompts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `items_batch_idx` ON `items` (`batch_id`,`position`);--> statement-breakpoint
CREATE INDEX `items_open_idx` ON `items` (`batch_id`,`open`,"submitted" DESC,`position`);--> statement-breakpoint
CREATE TABLE `judgment_flags` (
	`judgment_id` text NOT NULL,
	`response_id` text NOT NULL,
	`flag` text NOT NULL,
	`note` text DEFAULT '' NOT NULL,
	PRIMARY KEY(`judgment_id`, `response_id`, `flag`),
	FOREIGN KEY (`judgment_id`) REFERENCES `judgments`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`response_id`) REFERENCES `responses`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `judgments` (
	`id` text PRIMARY KEY NOT NULL,
	`assignment_id` text NOT NULL,
	`item_id` text NOT NULL,
	`reviewer_id` text NOT NULL,
	`payload` text NOT NULL,
	`rationale` text DEFAULT '' NOT NULL,
	`duration_ms` integer,
	`client_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`assignment_id`) REFERENCES `assignments`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`item_id`) REFERENCES `items`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`reviewer_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `judgments_assignment_id_unique` ON `judgments` (`assignment_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `judgments_client_id_unique` ON `judgments` (`client_id`);--> statement-breakpoint
CREATE INDEX `judgments_item_idx` ON `judgments` (`item_id`);--> statement-breakpoint
CREATE INDEX `judgments_reviewer_idx` ON `judgments` (`reviewer_id`);--> statement-breakpoint
CREATE TABLE `preference_pairs` (
	`id` text PRIMARY KEY NOT NULL,
	`judgment_id` text,
	`batch_id` text,
	`item_id` text,
	`reviewer_id` text,
	`prompt_id` text NOT NULL,
	`chosen_id` text NOT NULL,
	`rejected_id` text NOT NULL,
	`strength` integer NOT NULL,
	`source` text NOT NULL,
	`shown_chosen_first` integer,
	FOREIGN KEY (`judgment_id`) REFERENCES `judgments`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`batch_id`) REFERENCES `batches`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`item_id`) REFERENCES `items`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`reviewer_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`prompt_id`) REFERENCES `prompts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`chosen_id`) REFERENCES `responses`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`rejected_id`) REFERENCES `responses`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "pairs_strength_check" CHECK("preference_pairs"."strength" between 0 and 3),
	CONSTRAINT "pairs_source_check" CHECK("preference_pairs"."source" in ('pairwise', 'ranking', 'rating', 'imported'))
);
--> statement-breakpoint
CREATE INDEX `pairs_batch_idx` ON `preference_pairs` (`batch_id`);--> statement-breakpoint
CREATE INDEX `pairs_prompt_idx` ON `preference_pairs` (`prompt_id`);--> statement-breakpoint
CREATE INDEX `pairs_judgment_idx` ON `preference_pairs` (`judgment_id`);--> statement-breakpoint
CREATE TABLE `prompts` (
	`id` text PRIMARY KEY NOT NULL,
	`dataset_id` text NOT NULL,
	`external_id` text NOT NULL,
	`messages` text NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	FOREIGN KEY (`dataset_id`) REFERENCES `datasets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `prompts_dataset_external_idx` ON `prompts` (`dataset_id`,`external_id`);--> statement-breakpoint
CREATE TABLE `responses` (
	`id` text PRIMARY KEY NOT NULL,
	`prompt_id` text NOT NULL,
	`external_id` text NOT NULL,
	`model` text NOT NULL,
	`text` text NOT NULL,
	`params` text DEFAULT '{}' NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	FOREIGN KEY (`prompt_id`) REFERENCES `prompts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `responses_prompt_external_idx` ON `responses` (`prompt_id`,`external_id`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`expires_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sessions_user_idx` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`username` text NOT NULL,
	`display_name` text NOT NULL,
	`role` text NOT NULL,
	`password_hash` text NOT NULL,
	`disabled` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT "users_role_check" CHECK("users"."role" in ('admin', 'reviewer'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_username_unique` ON `users` (`username`);