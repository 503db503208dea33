-- Word search over a dataset's text (the dataset page, datasets show --q): FTS5 indexes of the
-- prompts' message contents and of the responses' texts, keyed by the rowid of the row they
-- index and kept current by triggers. Neither stores a second copy of the text:
-- response_search reads `responses` as its external content (so
-- `INSERT INTO response_search(response_search) VALUES('rebuild')` rebuilds it), prompt_search
-- is contentless with deletes (its text is extracted from the messages JSON, and FTS5 cannot
-- read a view that uses json_each as external content).
CREATE VIRTUAL TABLE `prompt_search` USING fts5(`body`, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2');
--> statement-breakpoint
CREATE VIRTUAL TABLE `response_search` USING fts5(`text`, content = 'responses', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 2');
--> statement-breakpoint
CREATE TRIGGER `prompts_search_insert` AFTER INSERT ON `prompts` BEGIN
  INSERT INTO `prompt_search` (rowid, `body`) VALUES (new.rowid, (SELECT group_concat(json_extract(m.value, '$.content'), char(10)) FROM json_each(new.messages) m));
END;
--> statement-breakpoint
CREATE TRIGGER `prompts_search_delete` AFTER DELETE ON `prompts` BEGIN
  DELETE FROM `prompt_search` WHERE rowid = old.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER `prompts_search_update` AFTER UPDATE OF `messages` ON `prompts` BEGIN
  DELETE FROM `prompt_search` WHERE rowid = old.rowid;
  INSERT INTO `prompt_search` (rowid, `body`) VALUES (new.rowid, (SELECT group_concat(json_extract(m.value, '$.content'), char(10)) FROM json_each(new.messages) m));
END;
--> statement-breakpoint
CREATE TRIGGER `responses_search_insert` AFTER INSERT ON `responses` BEGIN
  INSERT INTO `response_search` (rowid, `text`) VALUES (new.rowid, new.text);
END;
--> statement-breakpoint
CREATE TRIGGER `responses_search_delete` AFTER DELETE ON `responses` BEGIN
  INSERT INTO `response_search` (`response_search`, rowid, `text`) VALUES ('delete', old.rowid, old.text);
END;
--> statement-breakpoint
CREATE TRIGGER `responses_search_update` AFTER UPDATE OF `text` ON `responses` BEGIN
  INSERT INTO `response_search` (`response_search`, rowid, `text`) VALUES ('delete', old.rowid, old.text);
  INSERT INTO `response_search` (rowid, `text`) VALUES (new.rowid, new.text);
END;
--> statement-breakpoint
-- The dataset page's model filter: a model's prompts, or whether a model answered one prompt,
-- from the index alone.
CREATE INDEX `responses_model_prompt_idx` ON `responses` (`model`, `prompt_id`);
--> statement-breakpoint
-- Bumped by every change to responses, so the dataset page can keep its per-model figures (a
-- read of every response's text) until a response changes, in any process.
CREATE TABLE `response_changes` (`id` integer PRIMARY KEY NOT NULL CHECK (`id` = 1), `count` integer NOT NULL);
--> statement-breakpoint
INSERT INTO `response_changes` (`id`, `count`) VALUES (1, 0);
--> statement-breakpoint
CREATE TRIGGER `responses_changes_insert` AFTER INSERT ON `responses` BEGIN
  UPDATE `response_changes` SET `count` = `count` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `responses_changes_delete` AFTER DELETE ON `responses` BEGIN
  UPDATE `response_changes` SET `count` = `count` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `responses_changes_update` AFTER UPDATE OF `model`, `text`, `metadata`, `prompt_id` ON `responses` BEGIN
  UPDATE `response_changes` SET `count` = `count` + 1 WHERE `id` = 1;
END;
--> statement-breakpoint
INSERT INTO `prompt_search` (rowid, `body`) SELECT p.rowid, (SELECT group_concat(json_extract(m.value, '$.content'), char(10)) FROM json_each(p.messages) m) FROM `prompts` p;
--> statement-breakpoint
INSERT INTO `response_search` (`response_search`) VALUES ('rebuild');
