/// Bounds on the work one `OCREngine.read` call may do.
public struct ReadLimits: Sendable {
    /// The largest image accepted, in pixels (width times height), judged from
    /// the header before any pixel is decoded.
    public var maxPixels: Int

    /// The time Tesseract may spend recognising one image, over all passes.
    public var deadlineMilliseconds: Int

    /// Creates limits; the defaults suit photographs of labels and receipts.
    public init(maxPixels: Int = 40_000_000, deadlineMilliseconds: Int = 10_000) {
        self.maxPixels = maxPixels
        self.deadlineMilliseconds = deadlineMilliseconds
    }
}
