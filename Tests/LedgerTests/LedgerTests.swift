import Ledger
import TallyCore
import Testing

/// Given `history`, what does deciding `command` produce?
func given(_ history: [Ledger.Event], when command: Ledger.Command) -> Result<[Ledger.Event], Ledger.Rejection> {
    Result { () throws(Ledger.Rejection) in try Ledger.decide(command, Ledger.fold(history)) }
}

let opened = Ledger.Event.accountOpened(.init(account: "a", owner: "Ada", currency: "EUR", overdraftLimit: 0))
let openedB = Ledger.Event.accountOpened(.init(account: "b", owner: "Bob", currency: "EUR", overdraftLimit: 500))
let openedUSD = Ledger.Event.accountOpened(.init(account: "u", owner: "Uma", currency: "USD", overdraftLimit: 0))
func deposited(_ account: String, _ amount: Int64) -> Ledger.Event {
    .deposited(.init(account: account, amount: amount))
}

@Suite("Ledger decisions")
struct LedgerTests {
    @Test func openingAnAccountRecordsItsOwnerCurrencyAndLimit() {
        #expect(
            given([], when: .openAccount(id: "a", owner: "Ada", currency: "EUR", overdraftLimit: 0))
                == .success([opened]))
    }

    @Test(arguments: [
        (
            Ledger.Command.openAccount(id: "a", owner: "Ada", currency: "EUR", overdraftLimit: 0),
            Ledger.Rejection.accountExists("a")
        ),
        (.openAccount(id: "x", owner: "Xi", currency: "EURO", overdraftLimit: 0), .invalidCurrency("EURO")),
        (.openAccount(id: "x", owner: "Xi", currency: "eur", overdraftLimit: 0), .invalidCurrency("eur")),
        (.openAccount(id: "x", owner: "Xi", currency: "EUR", overdraftLimit: -1), .negativeOverdraftLimit(-1)),
        (.openAccount(id: "x", owner: "", currency: "EUR", overdraftLimit: 0), .invalidOwner),
        (.openAccount(id: "", owner: "Xi", currency: "EUR", overdraftLimit: 0), .invalidAccountID("")),
        (
            .openAccount(id: "has space", owner: "Xi", currency: "EUR", overdraftLimit: 0),
            .invalidAccountID("has space")
        ),
        (
            .openAccount(id: String(repeating: "x", count: 65), owner: "Xi", currency: "EUR", overdraftLimit: 0),
            .invalidAccountID(String(repeating: "x", count: 65))
        ),
    ])
    func openingIsRefusedWhenARuleIsBroken(command: Ledger.Command, rejection: Ledger.Rejection) {
        #expect(given([opened], when: command) == .failure(rejection))
    }

    @Test func depositsAndWithdrawalsMoveMoneyWithinTheAvailableAmount() {
        #expect(given([opened], when: .deposit(account: "a", amount: 1250)) == .success([deposited("a", 1250)]))
        #expect(
            given([opened, deposited("a", 1250)], when: .withdraw(account: "a", amount: 1250))
                == .success([.withdrawn(.init(account: "a", amount: 1250))]))
        #expect(
            given([opened, deposited("a", 1250)], when: .withdraw(account: "a", amount: 1251))
                == .failure(.insufficientFunds(account: "a", available: 1250, requested: 1251)))
    }

    @Test func theOverdraftLimitExtendsWhatMayBeWithdrawn() {
        #expect(
            given([openedB], when: .withdraw(account: "b", amount: 500))
                == .success([.withdrawn(.init(account: "b", amount: 500))]))
        #expect(
            given([openedB, .withdrawn(.init(account: "b", amount: 500))], when: .withdraw(account: "b", amount: 1))
                == .failure(.insufficientFunds(account: "b", available: 0, requested: 1)))
    }

    @Test(arguments: [Int64(0), -1, .min])
    func amountsMustBePositive(amount: Int64) {
        #expect(given([opened], when: .deposit(account: "a", amount: amount)) == .failure(.nonPositiveAmount(amount)))
        #expect(given([opened], when: .withdraw(account: "a", amount: amount)) == .failure(.nonPositiveAmount(amount)))
        #expect(
            given([opened, openedB], when: .transfer(from: "a", to: "b", amount: amount))
                == .failure(.nonPositiveAmount(amount)))
    }

    @Test func movingMoneyInAnUnknownAccountIsRefused() {
        #expect(given([], when: .deposit(account: "nope", amount: 1)) == .failure(.unknownAccount("nope")))
        #expect(given([opened], when: .transfer(from: "a", to: "nope", amount: 1)) == .failure(.unknownAccount("nope")))
        #expect(given([], when: .freeze(account: "nope")) == .failure(.unknownAccount("nope")))
    }

    @Test func aDepositThatWouldOverflowTheBalanceIsRefused() {
        #expect(
            given([opened, deposited("a", .max)], when: .deposit(account: "a", amount: 1))
                == .failure(.balanceOverflow("a")))
    }

    @Test func aTransferDebitsOneAccountAndCreditsTheOtherInOneDecision() {
        #expect(
            given([opened, openedB, deposited("a", 100)], when: .transfer(from: "a", to: "b", amount: 60))
                == .success([
                    .transferDebited(.init(account: "a", counterparty: "b", amount: 60)),
                    .transferCredited(.init(account: "b", counterparty: "a", amount: 60)),
                ]))
        let after = Ledger.fold([
            opened, openedB, deposited("a", 100), .transferDebited(.init(account: "a", counterparty: "b", amount: 60)),
            .transferCredited(.init(account: "b", counterparty: "a", amount: 60)),
        ])
        #expect(after["a"]?.balance == 40)
        #expect(after["b"]?.balance == 60)
    }

    @Test func transfersAreRefusedAcrossCurrenciesToTheSameAccountOrBeyondFunds() {
        #expect(
            given([opened, openedUSD, deposited("a", 100)], when: .transfer(from: "a", to: "u", amount: 1))
                == .failure(.currencyMismatch(from: "EUR", to: "USD")))
        #expect(given([opened], when: .transfer(from: "a", to: "a", amount: 1)) == .failure(.sameAccount("a")))
        #expect(
            given([opened, openedB], when: .transfer(from: "a", to: "b", amount: 1))
                == .failure(.insufficientFunds(account: "a", available: 0, requested: 1)))
        #expect(
            given(
                [opened, openedB, deposited("a", 1), deposited("b", .max - 600)],
                when: .transfer(from: "a", to: "b", amount: 1))
                == .success([
                    .transferDebited(.init(account: "a", counterparty: "b", amount: 1)),
                    .transferCredited(.init(account: "b", counterparty: "a", amount: 1)),
                ]))
        #expect(
            given(
                [opened, openedB, deposited("a", 1), deposited("b", .max)],
                when: .transfer(from: "a", to: "b", amount: 1))
                == .failure(.balanceOverflow("b")))
    }

    @Test func aFrozenAccountRefusesMovementsUntilUnfrozen() {
        let frozen: [Ledger.Event] = [opened, openedB, deposited("a", 10), .accountFrozen(.init(account: "a"))]
        #expect(given(frozen, when: .deposit(account: "a", amount: 1)) == .failure(.accountFrozen("a")))
        #expect(given(frozen, when: .withdraw(account: "a", amount: 1)) == .failure(.accountFrozen("a")))
        #expect(given(frozen, when: .transfer(from: "b", to: "a", amount: 1)) == .failure(.accountFrozen("a")))
        #expect(given(frozen, when: .close(account: "a")) == .failure(.accountFrozen("a")))
        #expect(given(frozen, when: .unfreeze(account: "a")) == .success([.accountUnfrozen(.init(account: "a"))]))
        #expect(
            given(frozen + [.accountUnfrozen(.init(account: "a"))], when: .withdraw(account: "a", amount: 10))
                == .success([.withdrawn(.init(account: "a", amount: 10))]))
    }

    @Test func freezingUnfreezingAndClosingTwiceAreNoOps() {
        #expect(given([opened, .accountFrozen(.init(account: "a"))], when: .freeze(account: "a")) == .success([]))
        #expect(given([opened], when: .unfreeze(account: "a")) == .success([]))
        #expect(given([opened, .accountClosed(.init(account: "a"))], when: .close(account: "a")) == .success([]))
    }

    @Test func anAccountClosesOnlyAtZeroAndThenRefusesEverything() {
        #expect(
            given([opened, deposited("a", 5)], when: .close(account: "a"))
                == .failure(.nonZeroBalance(account: "a", balance: 5)))
        #expect(given([opened], when: .close(account: "a")) == .success([.accountClosed(.init(account: "a"))]))
        let closed: [Ledger.Event] = [opened, openedB, .accountClosed(.init(account: "a"))]
        #expect(given(closed, when: .deposit(account: "a", amount: 1)) == .failure(.accountClosed("a")))
        #expect(given(closed, when: .freeze(account: "a")) == .failure(.accountClosed("a")))
        #expect(given(closed, when: .unfreeze(account: "a")) == .failure(.accountClosed("a")))
        #expect(given(closed, when: .transfer(from: "b", to: "a", amount: 1)) == .failure(.accountClosed("a")))
    }

    @Test func commandsNameTheAccountsTheyTouch() {
        #expect(Ledger.accounts(touchedBy: .transfer(from: "a", to: "b", amount: 1)) == ["a", "b"])
        #expect(
            Ledger.accounts(touchedBy: .openAccount(id: "n", owner: "N", currency: "EUR", overdraftLimit: 0)) == ["n"])
        #expect(Ledger.accounts(touchedBy: .close(account: "c")) == ["c"])
    }

    @Test func evolveNeverTrapsOnEventsItCannotApply() {
        // Events for an unknown account change nothing; a saturating balance never traps.
        #expect(Ledger.fold([deposited("ghost", 5)]).isEmpty)
        #expect(Ledger.fold([opened, deposited("a", .max), deposited("a", .max)])["a"]?.balance == .max)
        #expect(
            Ledger.fold([
                opened, .withdrawn(.init(account: "a", amount: .max)), .withdrawn(.init(account: "a", amount: .max)),
            ])["a"]?.balance == .min)
    }

    @Test func currenciesKnowTheirMinorUnits() {
        #expect(Currency.minorUnits(of: "EUR") == 2)
        #expect(Currency.minorUnits(of: "JPY") == 0)
        #expect(Currency.minorUnits(of: "KWD") == 3)
        #expect(Currency.minorUnits(of: "XXX") == nil)
    }
}
