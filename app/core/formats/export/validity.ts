import type { ChatMessage } from "../messages";

/**
 * Rows that would load and then break a trainer (DESIGN.md §5). TRL's `is_conversational`
 * indexes `prompt[0]` (an empty list raises), chat templates refuse a conversation that is only
 * a system message, and most templates (Llama, Mistral, Gemma) raise on two consecutive turns
 * of one role. Exports skip such rows and count them per reason, or keep them with
 * `--keep-invalid`.
 */
export const INVALID_REASONS = ["empty_prompt", "system_only_prompt", "consecutive_roles"] as const;
export type InvalidReason = (typeof INVALID_REASONS)[number];

export type InvalidCounts = Record<InvalidReason, number>;

export function noInvalidRows(): InvalidCounts {
  return { empty_prompt: 0, system_only_prompt: 0, consecutive_roles: 0 };
}

/**
 * What is wrong with a prompt, or `null`. `chat` formats also check the turns: the prompt plus
 * the assistant turn that follows it (the completion, or what a policy generates) must
 * alternate roles, so a prompt that ends with an assistant turn is refused there too. Plain-text
 * formats render every turn as Human or Assistant text, where repeated roles are only text.
 */
export function promptProblem(messages: readonly ChatMessage[], chat: boolean): InvalidReason | null {
  if (messages.every((m) => m.content.trim() === "")) return "empty_prompt";
  if (messages.every((m) => m.role === "system")) return "system_only_prompt";
  if (chat) {
    const roles = [...messages.map((m) => m.role), "assistant"];
    for (let i = 1; i < roles.length; i++) if (roles[i] === roles[i - 1]) return "consecutive_roles";
  }
  return null;
}
