/**
 * An activity's content as every feature reads it: its sections of prompts (in the participant's
 * language, copied from the template when placed) and its rubric. Coaching stores it; the
 * recommender and the AI read it.
 */
export interface ActivityPrompt {
  id: string;
  text: string;
  hint?: string;
}
export interface ActivitySection {
  id: string;
  title: string;
  description?: string;
  checkpoint?: string;
  prompts: ActivityPrompt[];
}
export interface ActivityRubricLevel {
  points: number;
  label: string;
  descriptor: string;
}
export interface ActivityRubricCriterion {
  id: string;
  name: string;
  levels: ActivityRubricLevel[];
}

/** What a feature other than coaching needs of an activity: which template, its prompts, its rubric. */
export interface ActivityContent {
  templateId: string;
  sections: ActivitySection[];
  rubric: { criteria: ActivityRubricCriterion[] };
}
