/**
 * Length bounds shared by the contract's schemas (not part of the index).
 */
import { z } from 'zod';

/** Bounded so that a hostile or buggy renderer cannot hand main megabytes of junk. */
export const text = (max: number) => z.string().max(max);
