DROP INDEX `assignments_item_reviewer_idx`;--> statement-breakpoint
ALTER TABLE `assignments` ADD `kind` text DEFAULT 'review' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `assignments_item_reviewer_kind_idx` ON `assignments` (`item_id`,`reviewer_id`,`kind`);--> statement-breakpoint
ALTER TABLE `batch_reviewers` ADD `paused_at` integer;--> statement-breakpoint
ALTER TABLE `batch_reviewers` ADD `paused_reason` text;--> statement-breakpoint
ALTER TABLE `items` ADD `extra_overlap` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `items_gold_idx` ON `items` (`batch_id`,`is_gold`);--> statement-breakpoint
ALTER TABLE `judgments` ADD `source` text DEFAULT 'reviewer' NOT NULL;--> statement-breakpoint
ALTER TABLE `prompts` ADD `gold_answer` text;