import type { ViewMessage } from "~/core/tasks/view";

/**
 * How the judging screen lays out a prompt's conversation. The responses answer the last user
 * turn, so that turn (and anything after it, such as an assistant prefill) is always shown. The
 * turn just before it is always shown too, because the last turn often means nothing without it
 * ("yep", "that is not what I asked"); further turns back are shown while they are short, and
 * the rest collapse behind "Show N earlier turns", so a long conversation cannot push the last
 * user turn or the responses out of view.
 */
export interface ConversationLayout {
  /** The oldest turns, collapsed until the reviewer asks for them. */
  hidden: ViewMessage[];
  /** The turn just before the last user turn, and the ones before it that fit the budget, oldest first. */
  recent: ViewMessage[];
  /** The last user turn and whatever follows it; the whole prompt when it has no user turn. */
  final: ViewMessage[];
}

/** Turns shown before the last user turn when they are short. */
export const RECENT_TURNS = 3;
/** Characters those turns may take together (a few lines at desktop width); the turn just before the last is shown whatever its length. */
export const RECENT_CHARACTERS = 320;

/** Splits a conversation into collapsed older turns, shown recent turns and the final user turn. */
export function conversationLayout(messages: readonly ViewMessage[], budget = { turns: RECENT_TURNS, characters: RECENT_CHARACTERS }): ConversationLayout {
  let lastUser = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!.role === "user") {
      lastUser = i;
      break;
    }
  }
  if (lastUser <= 0) return { hidden: [], recent: [], final: [...messages] };
  const earlier = messages.slice(0, lastUser);
  let start = earlier.length - 1;
  let characters = earlier[start]!.content.length;
  while (start > 0 && earlier.length - start < budget.turns) {
    const next = characters + earlier[start - 1]!.content.length;
    if (next > budget.characters) break;
    characters = next;
    start--;
  }
  return { hidden: earlier.slice(0, start), recent: earlier.slice(start), final: messages.slice(lastUser) };
}
