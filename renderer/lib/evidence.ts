// What Explore's evidence panel says in words: which judge scored the image and what its bars measure, and where the
// judge ranks the class the image was meant to show (the bars show only the top few, so a low rank is otherwise
// invisible).
import type { JudgeInfo, Output } from '../../preload/contract/index.ts'

type Intended = Output<'inspect:evidence'>['intended']

/** The panel's heading and the one line under it that says what a bar is. */
export function evidenceCaption(judge: JudgeInfo): { title: string; meaning: string } {
  if (judge.scoreKind === 'evidence') {
    return {
      title: "Judged by the model's D",
      meaning: "Bars: D's class evidence ⟨E[k], φ(x)⟩ for its top classes, unnormalised. D learnt with G, so it is a monitor, not an independent judge.",
    }
  }
  const who = judge.name === 'fashion-mnist-classifier' ? 'the bundled Fashion-MNIST classifier' : `the classifier ${judge.name.replace(/^(classifier|tfjs):/, '')}`
  return { title: `Judged by ${who}`, meaning: 'Bars: its probability of each class, top classes first.' }
}

/** "Sneaker: rank 7 of 10" — the intended class's place among all the judge's classes; null for a blend. */
export function rankLine(intended: Intended, judgeClasses: number): string | null {
  if (!intended) return null
  if (intended.rank === null) return `${intended.name}: not among this judge's ${judgeClasses} classes`
  return `${intended.name}: rank ${intended.rank} of ${judgeClasses}`
}
