// swift-tools-version:6.0
//
// ocrspool: independent daemons that read numbers out of images, cooperating
// through a filesystem spool. C libraries come from Debian through
// system-library targets; nothing is fetched from the network.

import PackageDescription

/// A system-library target for a Debian C library: a module map and a shim header.
func systemLibrary(_ name: String, pkgConfig: String? = nil) -> Target {
    .systemLibrary(
        name: name,
        path: "Sources/CLibs/\(name)",
        pkgConfig: pkgConfig,
        providers: [.apt([])]
    )
}

let package = Package(
    name: "ocrspool",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ocrspool", targets: ["ocrspool"]),
        .executable(name: "ocrspool-ocr", targets: ["ocrspool-ocr"]),
        .executable(name: "ocrspool-upload", targets: ["ocrspool-upload"]),
        .executable(name: "ocrspool-bench", targets: ["ocrspool-bench"]),
        .executable(name: "ocrspool-result", targets: ["ocrspool-result"]),
        .executable(name: "ocrspool-amqp", targets: ["ocrspool-amqp"]),
    ],
    targets: [
        systemLibrary("CTesseract", pkgConfig: "tesseract"),
        systemLibrary("CInotifyTools"),
        systemLibrary("CSystemd", pkgConfig: "libsystemd"),
        systemLibrary("CSpoolSys"),
        systemLibrary("CDaemonSys"),
        systemLibrary("CSQLite", pkgConfig: "sqlite3"),
        systemLibrary("CMicroHTTPD", pkgConfig: "libmicrohttpd"),
        systemLibrary("CRabbitMQ", pkgConfig: "librabbitmq"),

        .target(name: "DaemonKit", dependencies: ["CSystemd", "CDaemonSys"]),
        .target(name: "SpoolKit", dependencies: ["DaemonKit", "CInotifyTools", "CSpoolSys"]),
        .target(name: "OCRKit", dependencies: ["CTesseract"]),
        .target(name: "ResultStore", dependencies: ["CSQLite", "SpoolKit"]),
        .target(name: "HTTPKit", dependencies: ["CMicroHTTPD", "CSystemd", "DaemonKit"]),
        .target(name: "AMQPKit", dependencies: ["CRabbitMQ"]),

        .executableTarget(name: "ocrspool-ocr", dependencies: ["SpoolKit", "OCRKit", "DaemonKit"]),
        .executableTarget(
            name: "ocrspool", dependencies: ["SpoolKit", "DaemonKit", "ResultStore"]),
        .executableTarget(
            name: "ocrspool-upload",
            dependencies: ["HTTPKit", "SpoolKit", "DaemonKit", "ResultStore"]),
        .executableTarget(
            name: "ocrspool-amqp", dependencies: ["AMQPKit", "SpoolKit", "DaemonKit"]),
        .executableTarget(name: "ocrspool-bench", dependencies: ["OCRKit"]),
        .executableTarget(
            name: "ocrspool-result", dependencies: ["ResultStore", "SpoolKit", "DaemonKit"]),

        .target(name: "TestKit", dependencies: ["SpoolKit", "DaemonKit"], path: "Tests/TestKit"),
        .testTarget(name: "SpoolKitTests", dependencies: ["SpoolKit", "TestKit"]),
        .testTarget(name: "OCRKitTests", dependencies: ["OCRKit", "TestKit"]),
        .testTarget(name: "DaemonTests", dependencies: ["SpoolKit", "TestKit"]),
        .testTarget(name: "ResultTests", dependencies: ["ResultStore", "SpoolKit", "TestKit"]),
        .testTarget(
            name: "SystemdTests", dependencies: ["DaemonKit", "SpoolKit", "TestKit"],
            exclude: ["LoopProbe"]),
        .executableTarget(
            name: "ocrspool-loop-probe", dependencies: ["DaemonKit"],
            path: "Tests/SystemdTests/LoopProbe"),
        .testTarget(name: "UploadTests", dependencies: ["SpoolKit", "TestKit"]),
        .testTarget(
            name: "AMQPTests", dependencies: ["AMQPKit", "SpoolKit", "TestKit"],
            exclude: ["Python"]),
    ],
    swiftLanguageModes: [.v6]
)
