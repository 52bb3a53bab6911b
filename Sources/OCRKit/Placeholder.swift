import CTesseract
public func tesseractVersion() -> String { String(cString: TessVersion()) }
