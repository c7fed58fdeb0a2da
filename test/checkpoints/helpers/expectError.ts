import { expect } from 'vitest'
import { CheckpointError, type CheckpointErrorCode } from '../../../main/tensors/errors.ts'

/** Runs `fn`, requiring a CheckpointError with `code` whose message matches `message`; returns the error. */
export function expectCheckpointError(fn: () => unknown, code: CheckpointErrorCode, message?: RegExp): CheckpointError {
  let thrown: unknown
  try {
    fn()
  } catch (err) {
    thrown = err
  }
  expect(thrown, 'expected a CheckpointError').toBeInstanceOf(CheckpointError)
  const err = thrown as CheckpointError
  expect({ code: err.code, message: err.message }).toMatchObject({ code })
  if (message) expect(err.message).toMatch(message)
  return err
}

export async function expectCheckpointErrorAsync(
  fn: () => Promise<unknown>, code: CheckpointErrorCode, message?: RegExp,
): Promise<CheckpointError> {
  let thrown: unknown
  try {
    await fn()
  } catch (err) {
    thrown = err
  }
  expect(thrown, 'expected a CheckpointError').toBeInstanceOf(CheckpointError)
  const err = thrown as CheckpointError
  expect(err.code).toBe(code)
  if (message) expect(err.message).toMatch(message)
  return err
}
