/// What `OCREngine.read` looks for in an image.
public enum ReadMode: String, Sendable, CaseIterable {
    /// Read one number: digits only, with preprocessing for small, skewed,
    /// noisy or low-contrast print. The default.
    case digits

    /// Read all text, as the reference design did (page segmentation mode 3,
    /// no character whitelist).
    case text
}
