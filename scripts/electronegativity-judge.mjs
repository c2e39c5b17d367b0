// Which electronegativity findings need attention: every HIGH or MEDIUM one
// that no explanation matches, and every explanation that matches nothing
// (so security/electronegativity-explained.json cannot go stale). A finding
// is matched by check, file and code sample, never by line number.

/** @param {{issue: string, severity: string, file: string, sample: string}[]} findings */
/** @param {{check: string, file: string, sample?: string, why: string}[]} explained */
export function judge(findings, explained) {
  const matches = (e, f) => e.check === f.issue && e.file === f.file && (e.sample === undefined || f.sample.includes(e.sample));
  const relevant = findings.filter((f) => f.severity === 'HIGH' || f.severity === 'MEDIUM');
  return {
    relevant,
    unexplained: relevant.filter((f) => !explained.some((e) => matches(e, f))),
    stale: explained.filter((e) => !findings.some((f) => matches(e, f))),
    explanationOf: (f) => explained.find((e) => matches(e, f)),
  };
}
