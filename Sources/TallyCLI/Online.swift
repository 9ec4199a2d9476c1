import ArgumentParser
import Foundation
import Ledger
import TallyClient
import TallyCore
import TallyHTTP
import TallyStore

/// Options of the commands that talk to a running server.
struct OnlineOptions: ParsableArguments {
    @Option(help: "The server's URL [TALLY_URL] (default: http://127.0.0.1:8080).") var url: String?
    @Option(help: "An API key [TALLY_TOKEN] (tally serve wrote the first one to <data-dir>/admin.key).")
    var token: String?

    /// Runs `body` with a client of the server (from the flags, else the environment, else the
    /// defaults), and prints what it returns.
    func print(_ body: (TallyClient) async throws -> TallyClient.Answer) async throws {
        printAnswer(try await withClient(body))
    }

    /// Runs `body` with a client of the server, and shuts the client down afterwards.
    func withClient<R>(_ body: (TallyClient) async throws -> R) async throws -> R {
        let environment = ProcessInfo.processInfo.environment
        return try await TallyClient.with(
            url: url ?? environment["TALLY_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://127.0.0.1:8080",
            token: token ?? environment["TALLY_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }, body)
    }
}

/// Prints a server's JSON answer on stdout.
func printAnswer(_ answer: TallyClient.Answer) {
    FileHandle.standardOutput.write(Data(answer.body + [UInt8(ascii: "\n")]))
}

extension Tally {
    /// Submits a command as JSON.
    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Submit a command to the server: its type and JSON body; prints the receipt and events.",
            discussion: """
                The body comes from the argument, from a file (@path), or from stdin (- or nothing).
                A rejection prints the broken rule and exits 65; a conflict exits 75.

                Examples:
                  tally submit deposit '{"account":"a-1","amount":1250}'
                  tally submit transfer @transfer.json --idempotency-key order-17
                  echo '{"account":"a-1"}' | tally submit freeze
                """)

        @OptionGroup var server: OnlineOptions
        @Argument(help: "The command type: openAccount, deposit, withdraw, transfer, freeze, unfreeze, close.")
        var type: String
        @Argument(help: "The JSON body, @file, or - for stdin (the default).") var body: String?
        @Option(help: "The command's Idempotency-Key: a retry with the same key runs it at most once.")
        var idempotencyKey: String?

        func run() async throws {
            try await Tally.reportingFailure {
                let json: Data
                switch body {
                case nil, "-": json = FileHandle.standardInput.readDataToEndOfFile()
                case let text? where text.hasPrefix("@"):
                    json = try Data(contentsOf: URL(fileURLWithPath: String(text.dropFirst())))
                case let text?: json = Data(text.utf8)
                }
                try await server.print { client in
                    try await client.submit(command: type, body: Array(json), idempotencyKey: idempotencyKey)
                }
            }
        }
    }

    /// The ledger's commands with typed options and decimal amounts.
    struct LedgerCommands: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ledger",
            abstract: "Submit ledger commands with typed options; amounts are decimal text, exact in minor units.",
            subcommands: [
                Open.self, Deposit.self, Withdraw.self, Transfer.self, Freeze.self, Unfreeze.self, Close.self,
            ])

        struct Open: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "open", abstract: "Open an account.",
                discussion: "Example:\n  tally ledger open --id a-1 --owner Ada --currency EUR --overdraft-limit 100.00"
            )
            @OptionGroup var server: OnlineOptions
            @Option(help: "The account id.") var id: String
            @Option(help: "The owner.") var owner: String
            @Option(help: "ISO 4217 currency code.") var currency: String
            @Option(help: "Overdraft limit, in the currency's units (e.g. 100.00).") var overdraftLimit = "0"
            @Option(help: "Idempotency-Key.") var idempotencyKey: String?

            func run() async throws {
                try await submit(
                    "openAccount",
                    [
                        "id": id, "owner": owner, "currency": currency,
                        "overdraftLimit": try MinorUnits.parse(overdraftLimit, currency: currency),
                    ], server, idempotencyKey)
            }
        }

        struct Deposit: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Deposit into an account.",
                discussion: "Example:\n  tally ledger deposit --account a-1 --amount 12.50 --currency EUR")
            @OptionGroup var server: OnlineOptions
            @OptionGroup var movement: Movement
            func run() async throws { try await movement.submit("deposit", server) }
        }

        struct Withdraw: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Withdraw from an account.",
                discussion: "Example:\n  tally ledger withdraw --account a-1 --amount 5 --currency EUR")
            @OptionGroup var server: OnlineOptions
            @OptionGroup var movement: Movement
            func run() async throws { try await movement.submit("withdraw", server) }
        }

        struct Transfer: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Move an amount between two accounts of one currency, atomically.",
                discussion: "Example:\n  tally ledger transfer --from a-1 --to b-2 --amount 2.50 --currency EUR")
            @OptionGroup var server: OnlineOptions
            @Option(help: "The account debited.") var from: String
            @Option(help: "The account credited.") var to: String
            @Option(help: "The amount, in the currency's units (e.g. 12.50).") var amount: String
            @Option(help: "ISO 4217 currency code of both accounts.") var currency: String
            @Option(help: "Idempotency-Key.") var idempotencyKey: String?

            func run() async throws {
                try await submit(
                    "transfer", ["from": from, "to": to, "amount": try MinorUnits.parse(amount, currency: currency)],
                    server, idempotencyKey)
            }
        }

        struct Freeze: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Freeze an account.")
            @OptionGroup var server: OnlineOptions
            @Option(help: "The account id.") var account: String
            func run() async throws { try await submit("freeze", ["account": account], server, nil) }
        }

        struct Unfreeze: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Unfreeze an account.")
            @OptionGroup var server: OnlineOptions
            @Option(help: "The account id.") var account: String
            func run() async throws { try await submit("unfreeze", ["account": account], server, nil) }
        }

        struct Close: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Close an account at zero balance.")
            @OptionGroup var server: OnlineOptions
            @Option(help: "The account id.") var account: String
            func run() async throws { try await submit("close", ["account": account], server, nil) }
        }

        /// The options of a deposit or withdrawal.
        struct Movement: ParsableArguments {
            @Option(help: "The account id.") var account: String
            @Option(help: "The amount, in the currency's units (e.g. 12.50).") var amount: String
            @Option(help: "The account's ISO 4217 currency code (it fixes the decimal places).") var currency: String
            @Option(help: "Idempotency-Key.") var idempotencyKey: String?

            func validate() throws { _ = try MinorUnits.parse(amount, currency: currency) }

            func submit(_ type: String, _ server: OnlineOptions) async throws {
                try await LedgerCommands.submit(
                    type, ["account": account, "amount": try MinorUnits.parse(amount, currency: currency)], server,
                    idempotencyKey)
            }
        }

        static func submit(
            _ type: String, _ body: [String: any Sendable], _ server: OnlineOptions, _ idempotencyKey: String?
        ) async throws {
            try await Tally.reportingFailure {
                let json = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
                try await server.print { client in
                    try await client.submit(command: type, body: Array(json), idempotencyKey: idempotencyKey)
                }
            }
        }
    }

    /// API keys: over the server's admin endpoints, or in the data directory while no server runs.
    struct Keys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Create, list and revoke API keys (needs an admin key, or --data-dir while the server is stopped).",
            discussion: """
                With --url (the default) the running server does it. With --data-dir the keys file
                of a stopped server is changed directly — the way back in after losing every admin
                key; it is refused while tally serve runs on that directory.
                """,
            subcommands: [Create.self, List.self, Revoke.self])

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create a key; its token is printed once.",
                discussion: """
                    Examples:
                      tally keys create --name billing --role submitter
                      tally keys create --name rescue --role admin --data-dir /var/lib/tally
                    """)
            @OptionGroup var target: KeyStoreOptions
            @Option(help: "A label for people (1–200 bytes).") var name: String
            @Option(help: "admin, writer, submitter, reader or auditor.") var role: String

            func validate() throws {
                guard Role(rawValue: role) != nil else {
                    throw ValidationError(
                        "--role must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", ")).")
                }
                guard (1...200).contains(name.utf8.count) else { throw ValidationError("--name must be 1–200 bytes.") }
            }

            func run() async throws {
                try await target.run { store in
                    let (key, token) = try store.create(name: name, role: Role(rawValue: role) ?? .reader)
                    var json = JSONWriter()
                    json.object { json in
                        json.write(key)
                        json.member("token", string: token)
                    }
                    return json.bytes
                } online: {
                    try await $0.createKey(name: name, role: role)
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List keys (never their secrets).")
            @OptionGroup var target: KeyStoreOptions
            func run() async throws {
                try await target.run { store in
                    var json = JSONWriter()
                    json.object { json in
                        json.key("keys")
                        json.array { json in for key in store.list() { json.object { json in json.write(key) } } }
                    }
                    return json.bytes
                } online: {
                    try await $0.listKeys()
                }
            }
        }

        struct Revoke: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Revoke a key by id.")
            @OptionGroup var target: KeyStoreOptions
            @Argument(help: "The key's id (the part after tally_).") var id: String
            func run() async throws {
                try await target.run { store in
                    guard let key = try store.revoke(id: id) else { throw KeysError.noSuchKey(id) }
                    var json = JSONWriter()
                    json.object { json in json.write(key) }
                    return json.bytes
                } online: {
                    try await $0.revokeKey(id: id)
                }
            }
        }
    }
}

/// Where `tally keys` works: the running server, or the keys file of a stopped one.
struct KeyStoreOptions: ParsableArguments {
    @OptionGroup var server: OnlineOptions
    @Option(
        name: .customLong("data-dir"),
        help: "Change the keys file in this data directory instead; only while no tally serve runs on it.")
    var dataDirectory: String?

    func validate() throws {
        if dataDirectory != nil, server.url != nil || server.token != nil {
            throw ValidationError("Give --data-dir or --url/--token, not both.")
        }
    }

    /// Runs `offline` on the data directory's keys file under its writer lock, or `online`
    /// against the server, and prints the JSON either returns.
    func run(
        offline: (APIKeyStore) throws -> [UInt8], online: @escaping (TallyClient) async throws -> TallyClient.Answer
    ) async throws {
        try await Tally.reportingFailure {
            guard let dataDirectory else { return try await server.print(online) }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dataDirectory, isDirectory: &isDirectory),
                isDirectory.boolValue
            else { throw KeysError.noDataDirectory(dataDirectory) }
            let lock = try WriterLock(directory: dataDirectory)
            defer { lock.release() }
            let store = try APIKeyStore(path: (dataDirectory as NSString).appendingPathComponent("api-keys.json"))
            FileHandle.standardOutput.write(Data(try offline(store) + [UInt8(ascii: "\n")]))
        }
    }
}

/// Why an offline `tally keys` could not do its job.
enum KeysError: Error, CustomStringConvertible {
    case noDataDirectory(String)
    case noSuchKey(String)

    var description: String {
        switch self {
        case .noDataDirectory(let path): "\(path) is not a data directory"
        case .noSuchKey(let id): "no key has id \(id)"
        }
    }
}

/// Decimal amounts as exact integers of a currency's minor units.
enum MinorUnits {
    /// `text` ("12.50", "12.5", "12") in `currency` as minor units (1250 for EUR).
    ///
    /// - Throws: `ValidationError` (exit 64) for an unknown currency, a malformed number, more
    ///   decimals than the currency has, or a value beyond 64 bits.
    static func parse(_ text: String, currency: String) throws -> Int64 {
        guard let places = Currency.minorUnits(of: currency) else {
            throw ValidationError("\(currency) is not an ISO 4217 currency code.")
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty, parts.allSatisfy({ $0.allSatisfy(\.isASCII) }),
            parts.allSatisfy({ $0.allSatisfy(\.isNumber) }), parts.count == 1 || !parts[1].isEmpty
        else {
            throw ValidationError("\(text) is not an amount: write digits, optionally with a decimal point (12.50).")
        }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard fraction.count <= places else {
            throw ValidationError("\(currency) has \(places) decimal places; \(text) has \(fraction.count).")
        }
        let digits = String(parts[0]) + fraction + String(repeating: "0", count: places - fraction.count)
        guard let value = Int64(digits) else { throw ValidationError("\(text) is too large.") }
        return value
    }
}
