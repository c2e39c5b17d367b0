import { useEffect, useState } from 'react';
import { secondsUntil } from '../format';

/**
 * Whole seconds left until `deadline` (epoch ms), updated live. Give the component
 * using it `key={deadline}` so a new deadline starts from a fresh clock reading.
 */
export function useSecondsUntil(deadline: number): number {
  const [seconds, setSeconds] = useState(() => secondsUntil(deadline, Date.now()));
  useEffect(() => {
    const timer = setInterval(() => setSeconds(secondsUntil(deadline, Date.now())), 250);
    return () => clearInterval(timer);
  }, [deadline]);
  return seconds;
}
