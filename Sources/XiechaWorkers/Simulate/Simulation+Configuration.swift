import XiechaCore

extension Simulation {
    /// The rules settings of a loaded configuration (file and environment), as the crosscheck
    /// worker reads them: rule numbers, jurisdiction (regions, zone) and the `personRef` secret.
    /// `localRegionPrefixes`, when given, replaces the configured regions (`--local-region`).
    public static func rulesConfiguration(
        from c: XiechaConfiguration, localRegionPrefixes: [String]? = nil
    ) -> RulesConfiguration {
        var r = c.rules
        if let localRegionPrefixes { r.localRegionPrefixes = localRegionPrefixes }
        return r
    }
}
