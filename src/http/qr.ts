import QRCode from 'qrcode';

/** The otpauth URI as an SVG QR code (shown as an image; the text key is the accessible alternative). */
export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' });
}
