import Foundation

extension Array where Element: Sendable {
    /// `map` over slices of the array on all cores, results in the array's order.
    ///
    /// Workers are one loop each (they send and commit in input order), but the pure work per
    /// record (parsing, validating, encoding) is independent: this spreads it over the machine.
    /// Arrays shorter than `minimumCount` are mapped inline, where splitting costs more than it saves.
    func concurrentMap<Result: Sendable>(
        width: Int = ProcessInfo.processInfo.activeProcessorCount, minimumCount: Int = 256,
        _ transform: @escaping @Sendable (Element) -> Result
    ) async -> [Result] {
        let width = Swift.max(1, width)
        if width == 1 || count < minimumCount { return map(transform) }
        let sliceSize = (count + width - 1) / width
        return await withTaskGroup(of: (Int, [Result]).self) { group in
            for (i, start) in stride(from: 0, to: count, by: sliceSize).enumerated() {
                let slice = self[start..<Swift.min(start + sliceSize, count)]
                group.addTask { (i, slice.map(transform)) }
            }
            var slices = [[Result]](repeating: [], count: width)
            for await (i, results) in group { slices[i] = results }
            return slices.flatMap { $0 }
        }
    }
}
