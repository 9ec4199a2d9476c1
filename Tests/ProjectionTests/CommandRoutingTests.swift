import Foundation
import Ledger
import LedgerProjection
import TallyCore
import Testing

@Suite("Ledger command routing")
struct CommandRoutingTests {
    @Test(arguments: [
        (
            "openAccount", #"{"id":"a","owner":"Ada","currency":"EUR","overdraftLimit":5}"#,
            Ledger.Command.openAccount(id: "a", owner: "Ada", currency: "EUR", overdraftLimit: 5)
        ),
        (
            "openAccount", #"{"id":"a","owner":"Ada","currency":"EUR"}"#,
            .openAccount(id: "a", owner: "Ada", currency: "EUR", overdraftLimit: 0)
        ),
        ("deposit", #"{"account":"a","amount":1250}"#, .deposit(account: "a", amount: 1250)),
        ("withdraw", #"{"account":"a","amount":1}"#, .withdraw(account: "a", amount: 1)),
        ("transfer", #"{"from":"a","to":"b","amount":7}"#, .transfer(from: "a", to: "b", amount: 7)),
        ("freeze", #"{"account":"a"}"#, .freeze(account: "a")),
        ("unfreeze", #"{"account":"a"}"#, .unfreeze(account: "a")),
        ("close", #"{"account":"a"}"#, .close(account: "a")),
    ])
    func everyCommandTypeIsRoutedFromItsJSONBody(type: String, body: String, command: Ledger.Command) throws {
        let routed = try LedgerCommand.router.command(type: type, body: Array(body.utf8))
        #expect(routed == command)
        #expect(routed.type == type)
    }

    @Test func theRouterKnowsExactlyTheLedgerCommands() {
        #expect(
            LedgerCommand.router.types == [
                "close", "deposit", "freeze", "openAccount", "transfer", "unfreeze", "withdraw",
            ])
    }

    @Test func badRoutesAndBodiesAreRefusedWithTheirReason() {
        #expect(throws: CommandRoutingError.unknownType("refund")) {
            try LedgerCommand.router.command(type: "refund", body: Array("{}".utf8))
        }
        #expect(throws: CommandBodyError.unknownMember("ammount")) {
            try LedgerCommand.router.command(type: "deposit", body: Array(#"{"account":"a","ammount":5}"#.utf8))
        }
        #expect(throws: CommandBodyError.notAnObject) {
            try LedgerCommand.router.command(type: "deposit", body: Array("[1]".utf8))
        }
        #expect(throws: DecodingError.self) {
            try LedgerCommand.router.command(type: "deposit", body: Array(#"{"account":"a"}"#.utf8))
        }
        #expect(throws: CommandBodyError.unreadable("Number 922E372036854775807 is not representable in Swift.")) {
            try LedgerCommand.router.command(
                type: "deposit", body: Array(#"{"account":"a","amount":922E372036854775807}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try LedgerCommand.router.command(type: "deposit", body: Array(#"{"account":"a","amount":"5"}"#.utf8))
        }
        #expect(throws: (any Error).self) {
            try LedgerCommand.router.command(type: "deposit", body: Array("{".utf8))
        }
    }

    @Test func aRoutedCommandRunsThroughTheLog() async throws {
        try await LedgerHarness.with { ledger in
            for (type, body) in [
                ("openAccount", #"{"id":"a","owner":"Ada","currency":"EUR"}"#),
                ("deposit", #"{"account":"a","amount":9}"#),
            ] {
                try await ledger.run(try LedgerCommand.router.command(type: type, body: Array(body.utf8)))
            }
            #expect(try ledger.balance("a")?.balance == 9)
        }
    }
}
