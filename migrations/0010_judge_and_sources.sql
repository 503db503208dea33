CREATE TABLE `judge_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`batch_id` text NOT NULL,
	`model` text NOT NULL,
	`template_name` text NOT NULL,
	`template` text NOT NULL,
	`template_hash` text NOT NULL,
	`options` text NOT NULL,
	`status` text NOT NULL,
	`requested` integer DEFAULT 0 NOT NULL,
	`judged` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`prompt_tokens` integer DEFAULT 0 NOT NULL,
	`completion_tokens` integer DEFAULT 0 NOT NULL,
	`latency_ms` integer DEFAULT 0 NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`finished_at` integer,
	FOREIGN KEY (`batch_id`) REFERENCES `batches`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "judge_runs_status_check" CHECK("judge_runs"."status" in ('running', 'done', 'failed', 'cancelled'))
);
--> statement-breakpoint
CREATE INDEX `judge_runs_batch_idx` ON `judge_runs` (`batch_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `judge_verdicts` (
	`run_id` text NOT NULL,
	`item_id` text NOT NULL,
	`swapped` integer NOT NULL,
	`display_order` text NOT NULL,
	`status` text NOT NULL,
	`payload` text,
	`flags` text DEFAULT '[]' NOT NULL,
	`rationale` text DEFAULT '' NOT NULL,
	`raw` text DEFAULT '' NOT NULL,
	`style` text,
	`reason` text,
	`attempts` integer NOT NULL,
	`prompt_tokens` integer,
	`completion_tokens` integer,
	`latency_ms` integer,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`run_id`, `item_id`, `swapped`),
	FOREIGN KEY (`run_id`) REFERENCES `judge_runs`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`item_id`) REFERENCES `items`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "judge_verdicts_status_check" CHECK("judge_verdicts"."status" in ('ok', 'failed'))
);
--> statement-breakpoint
CREATE INDEX `judge_verdicts_item_idx` ON `judge_verdicts` (`item_id`);--> statement-breakpoint
ALTER TABLE `prompts` ADD `reference` text;--> statement-breakpoint
ALTER TABLE `prompts` ADD `context` text;