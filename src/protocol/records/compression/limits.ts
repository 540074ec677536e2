/**
 * Errors shared by the codecs. Every codec failure is CORRUPT_MESSAGE: the bytes came from a
 * client (or from our log, which holds what clients sent), so a payload that does not inflate
 * is a corrupt message, not a server fault.
 */
import { ErrorCode, KafkaError } from '../../errors.js';

export function corrupt(message: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, message);
}

export function outputTooLarge(codec: string, maxOutputBytes: number): KafkaError {
  return corrupt(`${codec} payload inflates past the ${maxOutputBytes}-byte limit`);
}

/** The message of whatever a native codec threw, for the KafkaError that replaces it. */
export function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
