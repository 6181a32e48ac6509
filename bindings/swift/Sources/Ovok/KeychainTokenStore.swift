#if canImport(Security)
import Foundation
import Security

/// Keeps the tokens in the Keychain as one generic-password item (JSON of `StoredTokens`).
///
/// The default accessibility, after first unlock on this device only, lets a session refresh
/// in the background after the first unlock since boot, and keeps the item out of backups and
/// off other devices. Reading can fail, for example in an app prewarmed before the first
/// unlock: `load()` then throws `KeychainError`, so the app never mistakes it for signed out.
public struct KeychainTokenStore: TokenStore {
    public enum Accessibility: Sendable {
        case afterFirstUnlockThisDeviceOnly
        case afterFirstUnlock
        case whenUnlockedThisDeviceOnly
        case whenUnlocked
        case whenPasscodeSetThisDeviceOnly

        var attribute: CFString {
            switch self {
            case .afterFirstUnlockThisDeviceOnly: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
            case .afterFirstUnlock: kSecAttrAccessibleAfterFirstUnlock
            case .whenUnlockedThisDeviceOnly: kSecAttrAccessibleWhenUnlockedThisDeviceOnly
            case .whenUnlocked: kSecAttrAccessibleWhenUnlocked
            case .whenPasscodeSetThisDeviceOnly: kSecAttrAccessibleWhenPasscodeSetThisDeviceOnly
            }
        }
    }

    /// A Keychain call failed; `status` is the `OSStatus` (see `SecCopyErrorMessageString`).
    public struct KeychainError: Error, Sendable, LocalizedError {
        public let status: OSStatus
        public let operation: String

        public var errorDescription: String? {
            let reason = SecCopyErrorMessageString(status, nil).map { $0 as String } ?? "OSStatus \(status)"
            return "Keychain \(operation) failed: \(reason)"
        }
    }

    public let service: String
    public let accessGroup: String?
    public let accessibility: Accessibility
    private let account = "ovok.session"

    public init(
        service: String,
        accessGroup: String? = nil,
        accessibility: Accessibility = .afterFirstUnlockThisDeviceOnly
    ) {
        self.service = service
        self.accessGroup = accessGroup
        self.accessibility = accessibility
    }

    private var query: [CFString: Any] {
        var query: [CFString: Any] = [
            kSecClass: kSecClassGenericPassword,
            kSecAttrService: service,
            kSecAttrAccount: account,
            kSecUseDataProtectionKeychain: true,
        ]
        if let accessGroup { query[kSecAttrAccessGroup] = accessGroup }
        return query
    }

    public func load() throws -> StoredTokens? {
        var search = query
        search[kSecReturnData] = true
        search[kSecMatchLimit] = kSecMatchLimitOne
        var item: CFTypeRef?
        let status = SecItemCopyMatching(search as CFDictionary, &item)
        if status == errSecItemNotFound { return nil }
        guard status == errSecSuccess else { throw KeychainError(status: status, operation: "read") }
        guard let data = item as? Data else { throw KeychainError(status: errSecDecode, operation: "read") }
        return try JSONDecoder().decode(StoredTokens.self, from: data)
    }

    public func save(_ tokens: StoredTokens?) throws {
        guard let tokens else {
            let status = SecItemDelete(query as CFDictionary)
            guard status == errSecSuccess || status == errSecItemNotFound else {
                throw KeychainError(status: status, operation: "delete")
            }
            return
        }
        let data = try JSONEncoder().encode(tokens)
        let attributes: [CFString: Any] = [kSecValueData: data, kSecAttrAccessible: accessibility.attribute]
        var status = SecItemUpdate(query as CFDictionary, attributes as CFDictionary)
        if status == errSecItemNotFound {
            status = SecItemAdd(query.merging(attributes) { $1 } as CFDictionary, nil)
        }
        guard status == errSecSuccess else { throw KeychainError(status: status, operation: "write") }
    }
}
#endif
