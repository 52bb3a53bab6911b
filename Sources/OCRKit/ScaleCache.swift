/// Enlarged copies of one image, made once per read and shared by passes.
final class ScaleCache {
    /// The estimated height of the text in the original image, in pixels,
    /// once a pass has found some.
    var textHeight: Int?

    private var copies: [(factor: Double, filter: Pass.Filter, pix: Pix)] = []
    private var filtered: [(filter: Pass.Filter, pix: Pix)] = []

    /// `image` filtered, computed once per filter.
    func filtered(_ image: Pix, _ filter: Pass.Filter) throws -> Pix {
        if filter == .none {
            return image
        }
        if let copy = self.filtered.first(where: { $0.filter == filter }) {
            return copy.pix
        }
        let pix: Pix
        switch filter {
        case .none: pix = image
        case .median: pix = try image.median()
        case .smooth: pix = try image.blurred(radius: 1)
        case .smoothMore: pix = try image.blurred(radius: 2)
        case .flatten: pix = image.flattened() ?? image
        }
        self.filtered.append((filter, pix))
        return pix
    }

    /// `image` enlarged so that its text is about `target` pixels high, and
    /// the factor used. Factors are rounded to quarters so that passes with
    /// nearby targets share a copy; they stay within 1...4.
    func prepared(
        _ image: Pix, filter: Pass.Filter, toTextHeight target: Int?
    ) throws -> (Pix, Double) {
        let source = try filtered(image, filter)
        guard let target else { return (source, 1) }
        // Before any pass has measured the text, assume it fills half the
        // image, which is typical of a crop around a number.
        let height = Double(max(1, textHeight ?? source.height / 2))
        let factor = min(4, max(1, (Double(target) / height * 4).rounded() / 4))
        if factor == 1 {
            return (source, 1)
        }
        if let copy = copies.first(where: { $0.factor == factor && $0.filter == filter }) {
            return (copy.pix, factor)
        }
        let pix = try source.scaled(by: factor)
        copies.append((factor, filter, pix))
        return (pix, factor)
    }
}
