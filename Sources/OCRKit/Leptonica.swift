import CTesseract

/// Process-wide Leptonica settings.
enum Leptonica {
    /// Stops Leptonica printing its own error messages on stderr: every
    /// failure it reports is turned into an `OCRError` instead.
    static func silence() {
        _ = quiet
    }

    /// Runs `setMsgSeverity` once per process (it sets a global).
    private static let quiet: Void = {
        _ = setMsgSeverity(Int32(L_SEVERITY_NONE))
    }()
}
