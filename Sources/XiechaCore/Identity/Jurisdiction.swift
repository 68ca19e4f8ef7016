/// The area Xiecha serves, as far as intake and the rules need it.
public struct Jurisdiction: Sendable, Hashable {
    /// Household-registration region prefixes counted as local (`--local-region`). A person
    /// whose `hukouRegion` starts with none of them is a migrant (流动人口).
    public var regionPrefixes: [String]

    public init(regionPrefixes: [String] = ["421125"]) {
        self.regionPrefixes = regionPrefixes
    }

    /// Whether a registered household region is inside the jurisdiction.
    public func isLocal(hukouRegion: some StringProtocol) -> Bool {
        regionPrefixes.contains { !$0.isEmpty && hukouRegion.hasPrefix($0) }
    }

    /// A person is a migrant when their `hukouRegion` is outside every local prefix.
    public func isMigrant(_ person: Person) -> Bool {
        !isLocal(hukouRegion: person.hukouRegion)
    }
}
