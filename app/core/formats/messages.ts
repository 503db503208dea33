import { z } from "zod";

/** One chat turn, as OpenAI, TRL and Hugging Face chat templates spell it. */
export const chatMessageSchema = z.object({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string(),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

export const chatMessagesSchema = z.array(chatMessageSchema).min(1, "expected at least one message");

/** Free-form JSON object kept beside prompts and responses. */
export const metadataSchema = z.record(z.string(), z.unknown());
export type Metadata = z.infer<typeof metadataSchema>;
