import { useMemo } from 'react';
import encodeQR from 'qr';

type Props = {
  /** The text the code holds (an `xmpp:` URI). */
  value: string;
  /** What the code is, for screen readers. */
  label: string;
  testId?: string;
};

/**
 * A QR code drawn as SVG from the module matrix (paulmillr's `qr`): one path, no markup from the library,
 * no canvas, no data URL (the CSP stays as it is). A quiet zone of four modules, as scanners expect.
 */
export function QrCode({ value, label, testId }: Props) {
  const { size, path } = useMemo(() => {
    const matrix = encodeQR(value, 'raw', { ecc: 'medium', border: 0 });
    const quiet = 4;
    let d = '';
    matrix.forEach((row, y) => row.forEach((dark, x) => {
      if (dark) d += `M${x + quiet} ${y + quiet}h1v1h-1z`;
    }));
    return { size: matrix.length + quiet * 2, path: d };
  }, [value]);
  return (
    <svg className="qr-code" role="img" aria-label={label} data-testid={testId} viewBox={`0 0 ${size} ${size}`} width={size * 5} height={size * 5} shapeRendering="crispEdges">
      <rect width={size} height={size} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
