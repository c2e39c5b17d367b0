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
 * no canvas, no data URL (the CSP stays as it is). A quiet zone of four modules, as scanners expect; a text
 * too long for a code draws nothing (the caller shows the text too).
 */
export function QrCode({ value, label, testId }: Props) {
  const drawn = useMemo(() => {
    let matrix: boolean[][];
    try {
      // The quiet zone is part of the matrix (border).
      matrix = encodeQR(value, 'raw', { ecc: 'medium', border: 4 });
    } catch {
      return undefined; // too long for a QR code: the URI is shown as text beside it anyway
    }
    let d = '';
    matrix.forEach((row, y) =>
      row.forEach((dark, x) => {
        if (dark) d += `M${x} ${y}h1v1h-1z`;
      }),
    );
    return { size: matrix.length, path: d };
  }, [value]);
  if (!drawn) return null;
  const { size, path } = drawn;
  return (
    <svg className="qr-code" role="img" aria-label={label} data-testid={testId} viewBox={`0 0 ${size} ${size}`} width={size * 5} height={size * 5} shapeRendering="crispEdges">
      <rect width={size} height={size} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
