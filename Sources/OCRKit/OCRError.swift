/// Why an image could not be read.
///
/// Every code describes the job, not the program: an operator may see them in
/// `failed/NAME.json`, none of them calls for a bug report on its own.
public struct OCRError: Error, Sendable, CustomStringConvertible, Equatable {
    /// A machine-readable reason, written into results as `error.code`.
    public enum Code: String, Sendable {
        /// The file has no bytes.
        case emptyFile = "empty_file"
        /// The bytes are not an image format Leptonica can decode.
        case unsupportedFormat = "unsupported_format"
        /// The header declares more pixels than `ReadLimits.maxPixels`.
        case tooLarge = "too_large"
        /// The header or the pixel data is damaged or truncated.
        case corruptImage = "corrupt_image"
        /// Recognition ran past `ReadLimits.deadlineMilliseconds`.
        case timeout
        /// Tesseract or Leptonica failed for a reason of their own (no
        /// language data, out of memory).
        case engineFailed = "engine_failed"
    }

    /// The reason, for machines.
    public var code: Code

    /// What failed and why, for a person.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}
