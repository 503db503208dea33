CREATE TABLE `model_prices` (
	`model` text PRIMARY KEY NOT NULL,
	`input_usd_per_mtok` real NOT NULL,
	`output_usd_per_mtok` real NOT NULL,
	`updated_at` integer NOT NULL
);
