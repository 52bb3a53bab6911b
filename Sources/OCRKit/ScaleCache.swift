/// Enlarged copies of one image, made once per read and shared by passes.
final class ScaleCache {
    /// The estimated height of the text in the original image, in pixels,
    /// once a pass has found some.
    var textHeight: Int?

    private var copies: [(factor: Double, pix: Pix)] = []

    /// `image` enlarged so that its text is about `target` pixels high, and
    /// the factor used. Factors are rounded to quarters so that passes with
    /// nearby targets share a copy; they stay within 1...4.
    func scaled(_ image: Pix, toTextHeight target: Int) throws -> (Pix, Double) {
        // Before any pass has measured the text, assume it fills half the
        // image, which is typical of a crop around a number.
        let height = Double(max(1, textHeight ?? image.height / 2))
        let factor = min(4, max(1, (Double(target) / height * 4).rounded() / 4))
        if factor == 1 {
            return (image, 1)
        }
        if let copy = copies.first(where: { $0.factor == factor }) {
            return (copy.pix, factor)
        }
        let pix = try image.scaled(by: factor)
        copies.append((factor, pix))
        return (pix, factor)
    }
}
