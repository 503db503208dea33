export { JudgingForm, type JudgingFormProps } from "./judging-form";
export { Conversation, type ConversationProps } from "./conversation";
export { PairwisePane, type PairwisePaneProps } from "./pairwise-pane";
export { RankingPane, type RankingPaneProps } from "./ranking-pane";
export { RatingPane, type RatingPaneProps } from "./rating-pane";
export { FlagsEditor, type FlagsEditorProps } from "./flags-editor";
export { RationaleBox, type RationaleBoxProps } from "./rationale-box";
export { KeyLegend, keyEntries, type KeyLegendProps } from "./key-legend";
export { ResponseCard, responseTitle, type ResponseCardProps } from "./response-card";
export {
  buildSubmission,
  initialState,
  judgingReducer,
  missingParts,
  scaleOptions,
  type JudgingAction,
  type JudgingState,
  type JudgingSubmission,
  type ScaleOption,
} from "./state";
export { tiersOf, responseLetter, flagLabel, rationaleRule } from "./state";
export { wordDiff, diffSide, similarity, wordOverlap, type DiffOp } from "./word-diff";
