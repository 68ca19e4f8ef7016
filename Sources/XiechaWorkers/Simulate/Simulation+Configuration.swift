import XiechaCore

extension Simulation {
    /// The rules settings of a loaded configuration (file and environment), as the crosscheck
    /// worker reads them: rule numbers, jurisdiction (regions, zone) and the `personRef` secret.
    /// `localRegionPrefixes`, when given, replaces the configured regions (`--local-region`).
    public static func rulesConfiguration(
        from c: XiechaConfiguration, localRegionPrefixes: [String]? = nil
    ) -> RulesConfiguration {
        var r = RulesConfiguration()
        r.minimumAge = c.minimumAge
        r.maximumAge = c.maximumAge
        r.certificateGraceDays = c.certificateGraceDays
        r.expiringWindowDays = c.expiringWindowDays
        r.escalationDays = c.escalationDays
        r.utcOffsetSeconds = c.utcOffsetSeconds
        r.timeZoneName = c.timeZoneName
        r.localRegionPrefixes = localRegionPrefixes ?? c.localRegionPrefixes
        r.personRefSecret = Array(c.personRefSecret.utf8)
        return r
    }
}
