import { useId } from "react";
import type { ViewMessage } from "~/core/tasks/view";
import { Markdown } from "../markdown";
import { conversationLayout } from "./turns";

const ROLE_LABEL: Record<ViewMessage["role"], string> = { system: "System", user: "User", assistant: "Assistant" };

export interface ConversationProps {
  messages: readonly ViewMessage[];
  /** Whether the older turns (see conversationLayout) are shown; the reviewer's choice outlasts the item. */
  showEarlier: boolean;
  onToggleEarlier(): void;
  /** The accessible name of the region; "Prompt" by default. */
  label?: string;
}

function Turn({ message }: { message: ViewMessage }) {
  return (
    <li className={`turn turn-${message.role}`}>
      <span className="turn-role">{ROLE_LABEL[message.role] ?? message.role}</span>
      <Markdown text={message.content} className="turn-content" />
    </li>
  );
}

/**
 * The prompt as a list of turns with role labels, the system prompt set apart. The last user
 * turn is always in view (it is what the responses answer); older turns collapse behind a
 * button that says how many there are.
 */
export function Conversation({ messages, showEarlier, onToggleEarlier, label = "Prompt" }: ConversationProps) {
  const id = useId();
  const { hidden, recent, final } = conversationLayout(messages);
  const earlierCount = hidden.length;
  return (
    <section className="conversation" aria-label={label}>
      {messages.length === 0 && <p className="muted small">No prompt.</p>}
      {earlierCount > 0 && (
        <button type="button" className="link-button small earlier-toggle" aria-expanded={showEarlier} aria-controls={`${id}-earlier`} onClick={onToggleEarlier}>
          {showEarlier ? `Hide ${earlierCount} earlier turn${earlierCount === 1 ? "" : "s"}` : `Show ${earlierCount} earlier turn${earlierCount === 1 ? "" : "s"}`}
        </button>
      )}
      {(recent.length > 0 || earlierCount > 0) && (
        <ol
          className="turns earlier-turns"
          id={`${id}-earlier`}
          tabIndex={0}
          aria-label="Earlier turns"
          hidden={!showEarlier && recent.length === 0}
        >
          {showEarlier && hidden.map((m, i) => <Turn key={`h${i}`} message={m} />)}
          {recent.map((m, i) => (
            <Turn key={`r${i}`} message={m} />
          ))}
        </ol>
      )}
      {final.length > 0 && (
        <ol className="turns final-turns" tabIndex={0} aria-label="Last turn">
          {final.map((m, i) => (
            <Turn key={i} message={m} />
          ))}
        </ol>
      )}
    </section>
  );
}
