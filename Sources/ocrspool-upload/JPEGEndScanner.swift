/// Follows a JPEG's marker structure as its bytes stream past, to tell whether
/// the image reached its end-of-image marker (`FF D9`).
///
/// The end is looked for where the structure puts it, not at the end of the
/// file: cameras append trailers after it (maker data, a motion-photo video),
/// and an `FF D9` inside a segment, such as the end of an EXIF thumbnail, is
/// skipped with its segment. Segments are skipped by their declared length;
/// entropy-coded data after a start-of-scan is read until a marker that is not
/// a stuffed byte (`FF 00`) or a restart marker (`FF D0`–`FF D7`).
struct JPEGEndScanner: Sendable {
    private enum State: Sendable {
        /// Between segments: waiting for `FF`.
        case betweenSegments
        /// After an `FF` between segments, or inside entropy-coded data.
        case markerCode(inScan: Bool)
        case lengthHigh(startsScan: Bool)
        case lengthLow(high: Int, startsScan: Bool)
        case skipping(remaining: Int, startsScan: Bool)
        /// Entropy-coded data of a scan.
        case scan
        /// The end-of-image marker was found; what follows is a trailer.
        case ended
    }

    private var state = State.betweenSegments

    /// True once the end-of-image marker has been seen.
    var sawEnd: Bool {
        if case .ended = state { return true }
        return false
    }

    /// Follows `bytes`, the next part of the image.
    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        while index < bytes.count {
            switch state {
            case .ended:
                return
            case .skipping(let remaining, let startsScan):
                // A segment's payload is skipped whole, without looking at it.
                let taken = min(remaining, bytes.count - index)
                index += taken
                state = remaining == taken
                    ? (startsScan ? .scan : .betweenSegments)
                    : .skipping(remaining: remaining - taken, startsScan: startsScan)
            case .scan:
                while index < bytes.count, bytes[index] != 0xFF { index += 1 }
                if index < bytes.count {
                    state = .markerCode(inScan: true)
                    index += 1
                }
            default:
                step(bytes[index])
                index += 1
            }
        }
    }

    /// Moves on by one byte in the states that look at every byte.
    private mutating func step(_ byte: UInt8) {
        switch state {
        case .betweenSegments:
            // Stray bytes between segments are passed over, as decoders do.
            if byte == 0xFF { state = .markerCode(inScan: false) }
        case .markerCode(let inScan):
            state = next(afterMarker: byte, inScan: inScan)
        case .lengthHigh(let startsScan):
            state = .lengthLow(high: Int(byte), startsScan: startsScan)
        case .lengthLow(let high, let startsScan):
            let length = high << 8 | Int(byte)
            // The length counts its own two bytes; less is a broken segment,
            // read on as if it were empty.
            state = length > 2
                ? .skipping(remaining: length - 2, startsScan: startsScan)
                : (startsScan ? .scan : .betweenSegments)
        case .skipping, .scan, .ended:
            preconditionFailure("feed handles this state")
        }
    }

    /// The state after the marker code `byte` that followed an `FF`.
    private func next(afterMarker byte: UInt8, inScan: Bool) -> State {
        switch byte {
        case 0xD9:
            return .ended
        case 0xFF:
            return .markerCode(inScan: inScan)
        case 0x00, 0x01, 0xD0...0xD8:
            // A stuffed zero, and the markers without a length: TEM, restarts
            // and start-of-image.
            return inScan ? .scan : .betweenSegments
        default:
            return .lengthHigh(startsScan: byte == 0xDA)
        }
    }
}
