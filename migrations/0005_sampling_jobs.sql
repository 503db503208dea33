CREATE TABLE `sampling_failures` (
	`job_id` text NOT NULL,
	`prompt_id` text NOT NULL,
	`sample_index` integer NOT NULL,
	`status` integer,
	`reason` text NOT NULL,
	`attempts` integer NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`job_id`, `prompt_id`, `sample_index`),
	FOREIGN KEY (`job_id`) REFERENCES `sampling_jobs`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`prompt_id`) REFERENCES `prompts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `sampling_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`dataset_id` text NOT NULL,
	`label` text NOT NULL,
	`options` text NOT NULL,
	`status` text NOT NULL,
	`requested` integer DEFAULT 0 NOT NULL,
	`already_present` integer DEFAULT 0 NOT NULL,
	`sampled` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`finished_at` integer,
	FOREIGN KEY (`dataset_id`) REFERENCES `datasets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "sampling_jobs_status_check" CHECK("sampling_jobs"."status" in ('running', 'done', 'failed', 'cancelled'))
);
--> statement-breakpoint
CREATE INDEX `sampling_jobs_dataset_idx` ON `sampling_jobs` (`dataset_id`,`created_at`);