/// Totals and rates over the recorded results, for `ocrspool stats`.
public struct ResultStats: Sendable, Equatable {
    /// OCR times of the jobs that finished within a recent window.
    public struct Window: Sendable, Equatable {
        /// The window's length in seconds, ending now.
        public var seconds: Double
        /// Jobs finished in the window, done or failed.
        public var finished: Int
        /// Median `ocr_ms` (nearest rank) of the window's jobs that have one.
        public var medianOCRMilliseconds: Double?
        /// 95th percentile `ocr_ms` (nearest rank).
        public var p95OCRMilliseconds: Double?
    }

    public var done: Int
    public var failed: Int
    /// Failed jobs by `error.code`.
    public var failedByCode: [String: Int]
    /// Jobs that carried an expected number.
    public var checked: Int
    /// Of those, the ones whose number was found.
    public var verified: Int
    public var lastHour: Window
    public var lastDay: Window
    /// Deliveries in each state.
    public var deliveries: [DeliveryState: Int]

    /// `verified / checked`, or nil when no job carried an expected number.
    public var verifiedRate: Double? {
        checked == 0 ? nil : Double(verified) / Double(checked)
    }
}
