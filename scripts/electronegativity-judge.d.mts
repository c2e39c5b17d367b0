export interface Finding {
  issue: string;
  severity: string;
  file: string;
  sample: string;
}
export interface Explanation {
  check: string;
  file: string;
  sample?: string;
  why: string;
}
export function judge(
  findings: Finding[],
  explained: Explanation[],
): { relevant: Finding[]; unexplained: Finding[]; stale: Explanation[]; explanationOf(f: Finding): Explanation | undefined };
