import SpoolKit
