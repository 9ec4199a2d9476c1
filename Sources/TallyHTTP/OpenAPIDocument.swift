/// The OpenAPI 3.1 description of every route, served at `GET /v1/openapi.json`.
///
/// A test checks it against the router (every route described, nothing described that is not
/// served) and sends each request example to a real server.
enum OpenAPIDocument {
    static let json = #"""
        {
          "openapi": "3.1.0",
          "info": {
            "title": "Tally",
            "version": "1",
            "summary": "An append-only event store with a double-entry ledger.",
            "description": "Tally is an append-only event store with a double-entry ledger on top. This document describes every route the server serves.\n\n**Authentication.** Every `/v1` route except `GET /v1/openapi.json` needs an API key sent as `Authorization: Bearer tally_<id>_<secret>`. Each key has one role, and each route needs one permission (named by `x-tally-permission` on the operation):\n\n| Role | Permissions |\n| --- | --- |\n| `admin` | every permission (including `manageProjections`, `signCheckpoints`, `manageKeys` and `eraseEvents`) |\n| `writer` | `appendEvents`, `readStreams`, `readEvents` |\n| `submitter` | `submitCommands`, `readProjections` |\n| `reader` | `readProjections`, `readStreams` |\n| `auditor` | `readEvents`, `readStreams`, `readProofs` |\n\nNo key, or a key that is not valid or was revoked, is answered 401 `unauthorized` with a `WWW-Authenticate: Bearer realm=\"tally\"` challenge; a key whose role lacks the permission is answered 403 `forbidden`. `/health/live`, `/health/ready`, `/metrics` and `/v1/openapi.json` need no key.\n\n**Errors** are RFC 9457 problem details served as `application/problem+json`: `type` is `https://tally.dev/problems/<slug>` (clients match on it), `title` is the same for every occurrence, `detail` describes this one, `instance` is the request path, and extension members carry the data (for example `pointer`, `parameter`, `rule`). A path no route serves is 404 `not-found`; a method the path does not support is 405 `method-not-allowed` with an `Allow` header; an unexpected failure is 500 `internal` without detail.\n\n**Request ids.** A client's `X-Request-ID` (1-128 visible ASCII characters) is kept, otherwise the server makes one; it is echoed on every response, written to the logs and recorded in the metadata of the events a request appends (`correlationId`).\n\n**Pagination** is by cursor: a page holds at most `limit` items (1-1000, default 100; a larger `limit` is refused with 400) and a `next` member with the relative link to the next page, or `null` at the end; the same link is sent as `Link: <...>; rel=\"next\"`.\n\n**Positions.** Every event has a log position (1, 2, 3, ...) and a revision in its stream (0, 1, 2, ...). `GET /v1/events` and reads of projection documents carry a `Tally-Position` header: the log position the answer reflects. Projection reads accept `minPosition` to wait (at most 10 s) until the read model has caught up with a write the client made.\n\n**Idempotency.** A command sent again with the same `Idempotency-Key`, or an append whose events carry the same ids and content, is not applied twice: the original answer comes back with status 200 and `Idempotent-Replayed: true`.\n\n**Limits** (defaults): request bodies up to 1 MiB (413 `body-too-large`); at most 1000 events per append (422 `too-many-events`); a handler that has not answered within 30 s is answered 503 `request-timeout` with `Retry-After: 1` (a command may still complete: retry with the same `Idempotency-Key`); live feeds send a heartbeat after 15 s without events."
          },
          "security": [
            {
              "apiKey": []
            }
          ],
          "tags": [
            {
              "name": "Commands",
              "description": "Ledger commands, decided and appended atomically."
            },
            {
              "name": "Events",
              "description": "Raw appends and reads of streams and the log."
            },
            {
              "name": "Subscriptions",
              "description": "Live feeds of the log."
            },
            {
              "name": "Projections",
              "description": "Read models, stamped with the position they reflect."
            },
            {
              "name": "Keys",
              "description": "API key administration."
            },
            {
              "name": "Audit",
              "description": "Signed checkpoints, the verifier key, inclusion and consistency proofs."
            },
            {
              "name": "Operations",
              "description": "Health, metrics and this document; no key needed."
            }
          ],
          "paths": {
            "/v1/commands/{type}": {
              "post": {
                "operationId": "submitCommand",
                "summary": "Submit a ledger command",
                "description": "Decides the command against the current `account-balances` read model inside the log's writer and appends the events it decides, atomically. Bodies must hold exactly the members of their type; unknown members are refused (400 `invalid-command`). Amounts are integers in the currency's minor units. Events go to the streams `account-<id>`, tagged `account:<id>`.",
                "tags": [
                  "Commands"
                ],
                "x-tally-permission": "submitCommands",
                "parameters": [
                  {
                    "name": "type",
                    "in": "path",
                    "required": true,
                    "description": "The command type (404 `unknown-command` for others).",
                    "schema": {
                      "type": "string",
                      "enum": [
                        "openAccount",
                        "deposit",
                        "withdraw",
                        "transfer",
                        "freeze",
                        "unfreeze",
                        "close"
                      ]
                    }
                  },
                  {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": false,
                    "description": "The command's id: a UUID, or 1-255 visible ASCII characters (hashed into a UUID). A retry with the same key and body returns the original answer (200, `Idempotent-Replayed: true`); the same key with another command is 409 `idempotency-conflict`.",
                    "schema": {
                      "type": "string",
                      "minLength": 1,
                      "maxLength": 255
                    }
                  },
                  {
                    "$ref": "#/components/parameters/XRequestID"
                  }
                ],
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "oneOf": [
                          {
                            "$ref": "#/components/schemas/OpenAccountCommand"
                          },
                          {
                            "$ref": "#/components/schemas/MovementCommand"
                          },
                          {
                            "$ref": "#/components/schemas/TransferCommand"
                          },
                          {
                            "$ref": "#/components/schemas/AccountCommand"
                          }
                        ]
                      },
                      "examples": {
                        "01-openAccount-a-1": {
                          "summary": "Open account a-1 in EUR",
                          "value": {
                            "id": "a-1",
                            "owner": "Ada Lovelace",
                            "currency": "EUR"
                          },
                          "x-expected-status": 201,
                          "x-path": {
                            "type": "openAccount"
                          }
                        },
                        "02-openAccount-b-2": {
                          "summary": "Open account b-2 in EUR with an overdraft limit of 50.00",
                          "value": {
                            "id": "b-2",
                            "owner": "Grace Hopper",
                            "currency": "EUR",
                            "overdraftLimit": 5000
                          },
                          "x-expected-status": 201,
                          "x-path": {
                            "type": "openAccount"
                          }
                        },
                        "03-deposit": {
                          "summary": "Deposit 100.00 into a-1",
                          "value": {
                            "account": "a-1",
                            "amount": 10000
                          },
                          "x-expected-status": 201,
                          "x-path": {
                            "type": "deposit"
                          }
                        },
                        "04-withdraw-too-much": {
                          "summary": "Withdraw more than a-1 holds: 422 insufficient-funds",
                          "value": {
                            "account": "a-1",
                            "amount": 1000000
                          },
                          "x-expected-status": 422,
                          "x-path": {
                            "type": "withdraw"
                          }
                        },
                        "05-withdraw": {
                          "summary": "Withdraw 15.00 from a-1",
                          "value": {
                            "account": "a-1",
                            "amount": 1500
                          },
                          "x-expected-status": 201,
                          "x-path": {
                            "type": "withdraw"
                          }
                        },
                        "06-transfer": {
                          "summary": "Transfer 25.00 from a-1 to b-2 (both legs in one append)",
                          "value": {
                            "from": "a-1",
                            "to": "b-2",
                            "amount": 2500
                          },
                          "x-expected-status": 201,
                          "x-path": {
                            "type": "transfer"
                          }
                        },
                        "07-freeze": {
                          "summary": "Freeze b-2",
                          "value": {
                            "account": "b-2"
                          },
                          "x-expected-status": 201,
                          "x-path": {
                            "type": "freeze"
                          }
                        },
                        "08-freeze-again": {
                          "summary": "Freeze b-2 again: nothing changes, 200 with no events",
                          "value": {
                            "account": "b-2"
                          },
                          "x-expected-status": 200,
                          "x-path": {
                            "type": "freeze"
                          }
                        },
                        "09-deposit-frozen": {
                          "summary": "Deposit into frozen b-2: 422 account-frozen",
                          "value": {
                            "account": "b-2",
                            "amount": 100
                          },
                          "x-expected-status": 422,
                          "x-path": {
                            "type": "deposit"
                          }
                        },
                        "10-unfreeze": {
                          "summary": "Unfreeze b-2",
                          "value": {
                            "account": "b-2"
                          },
                          "x-expected-status": 201,
                          "x-path": {
                            "type": "unfreeze"
                          }
                        },
                        "11-openAccount-c-3": {
                          "summary": "Open account c-3 in EUR without overdraft",
                          "value": {
                            "id": "c-3",
                            "owner": "Alan Turing",
                            "currency": "EUR",
                            "overdraftLimit": 0
                          },
                          "x-expected-status": 201,
                          "x-path": {
                            "type": "openAccount"
                          }
                        },
                        "12-close-c-3": {
                          "summary": "Close c-3, which is at zero balance",
                          "value": {
                            "account": "c-3"
                          },
                          "x-expected-status": 201,
                          "x-path": {
                            "type": "close"
                          }
                        }
                      }
                    }
                  }
                },
                "responses": {
                  "201": {
                    "description": "The command appended events.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/CommandResult"
                        }
                      }
                    }
                  },
                  "200": {
                    "description": "The command changed nothing (for example freezing a frozen account; `positions` is `null` and `events` empty), or this is a replay of an earlier identical command.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      },
                      "Idempotent-Replayed": {
                        "$ref": "#/components/headers/IdempotentReplayed"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/CommandResult"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest",
                    "description": "`invalid-body` (not one valid JSON value, a number no integer or double holds, or a member of the wrong type; `pointer`), `invalid-command` (not an object, or an unknown `member`), `invalid-idempotency-key`."
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound",
                    "description": "`unknown-command`: no command has this type (`commandType`)."
                  },
                  "409": {
                    "$ref": "#/components/responses/Conflict",
                    "description": "`idempotency-conflict`: the `Idempotency-Key` was used for another command; `wrong-expected-revision` if an account stream was written behind the ledger's back."
                  },
                  "413": {
                    "$ref": "#/components/responses/ContentTooLarge"
                  },
                  "422": {
                    "$ref": "#/components/responses/UnprocessableContent",
                    "description": "A ledger rule refuses the command; `rule` names it and the rejection's data follows: `unknown-account`, `account-exists`, `insufficient-funds` (`available`, `requested`), `currency-mismatch`, `account-frozen`, `account-closed`, `same-account`, `non-positive-amount`, `non-zero-balance` (`balance`), `invalid-currency`, `invalid-account-id`, `invalid-owner`, `negative-overdraft-limit`, `balance-overflow`."
                  },
                  "503": {
                    "$ref": "#/components/responses/ServiceUnavailable"
                  },
                  "507": {
                    "$ref": "#/components/responses/InsufficientStorage"
                  }
                }
              }
            },
            "/v1/streams/{stream}/events": {
              "post": {
                "operationId": "appendToStream",
                "summary": "Append events to one stream",
                "description": "Appends the events to the stream in the path, atomically, if `expectedRevision` and `condition` hold. An append whose events all carry ids already appended with the same content is answered with the original receipt (200, `Idempotent-Replayed: true`).",
                "tags": [
                  "Events"
                ],
                "x-tally-permission": "appendEvents",
                "parameters": [
                  {
                    "$ref": "#/components/parameters/Stream"
                  },
                  {
                    "$ref": "#/components/parameters/XRequestID"
                  }
                ],
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "$ref": "#/components/schemas/SingleStreamAppendBody"
                      },
                      "examples": {
                        "01-new-stream": {
                          "summary": "Start stream orders-1 (it must not exist yet)",
                          "value": {
                            "expectedRevision": "noStream",
                            "events": [
                              {
                                "type": "orderPlaced",
                                "tags": [
                                  "order:1",
                                  "customer:c-7"
                                ],
                                "data": {
                                  "orderId": "1",
                                  "customer": "c-7",
                                  "total": 4200,
                                  "currency": "EUR"
                                }
                              }
                            ]
                          },
                          "x-expected-status": 201,
                          "x-path": {
                            "stream": "orders-1"
                          }
                        },
                        "02-exact-revision": {
                          "summary": "Append to orders-1 at revision 0, with an event id and metadata",
                          "value": {
                            "expectedRevision": 0,
                            "events": [
                              {
                                "id": "0198c2a4-5b6e-7c3d-8e9f-0a1b2c3d4e5f",
                                "type": "orderPaid",
                                "tags": [
                                  "order:1"
                                ],
                                "data": {
                                  "orderId": "1",
                                  "amount": 4200
                                },
                                "metadata": {
                                  "source": "checkout"
                                }
                              }
                            ]
                          },
                          "x-expected-status": 201,
                          "x-path": {
                            "stream": "orders-1"
                          }
                        },
                        "03-stale-revision": {
                          "summary": "Append to orders-1 expecting revision 0 again: 409 wrong-expected-revision",
                          "value": {
                            "expectedRevision": 0,
                            "events": [
                              {
                                "type": "orderCancelled",
                                "tags": [
                                  "order:1"
                                ],
                                "data": {
                                  "orderId": "1"
                                }
                              }
                            ]
                          },
                          "x-expected-status": 409,
                          "x-path": {
                            "stream": "orders-1"
                          }
                        },
                        "04-condition": {
                          "summary": "Ship order 1 unless it was cancelled",
                          "value": {
                            "expectedRevision": "exists",
                            "condition": {
                              "failIfEventsMatch": [
                                {
                                  "types": [
                                    "orderCancelled"
                                  ],
                                  "tags": [
                                    "order:1"
                                  ]
                                }
                              ],
                              "after": 0
                            },
                            "events": [
                              {
                                "type": "orderShipped",
                                "tags": [
                                  "order:1"
                                ],
                                "data": {
                                  "orderId": "1",
                                  "carrier": "DHL"
                                }
                              }
                            ]
                          },
                          "x-expected-status": 201,
                          "x-path": {
                            "stream": "orders-1"
                          }
                        }
                      }
                    }
                  }
                },
                "responses": {
                  "201": {
                    "description": "The events were appended.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Receipt"
                        }
                      }
                    }
                  },
                  "200": {
                    "description": "A replay: these events were appended before.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      },
                      "Idempotent-Replayed": {
                        "$ref": "#/components/headers/IdempotentReplayed"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Receipt"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest",
                    "description": "`invalid-body`: not valid JSON, a missing, unknown or mistyped member (`pointer`), an expected revision or condition that is not valid. `invalid-parameter` for a stream name that is not valid."
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "409": {
                    "$ref": "#/components/responses/Conflict",
                    "description": "`wrong-expected-revision` (`stream`, `expectedRevision`, `actualRevision`), `append-condition-failed` (`position` of the matching event, `after`), `idempotency-conflict` (an event id was used with other content; `id`)."
                  },
                  "413": {
                    "$ref": "#/components/responses/ContentTooLarge"
                  },
                  "422": {
                    "$ref": "#/components/responses/UnprocessableContent",
                    "description": "`invalid-event`: an event breaks a rule (`field`, `reason`, `eventIndex`), for example an empty type, more than 32 tags, metadata that is not an object, or two events with one id; `too-many-events` with `maxEvents` for more than 1000 events."
                  },
                  "503": {
                    "$ref": "#/components/responses/ServiceUnavailable"
                  },
                  "507": {
                    "$ref": "#/components/responses/InsufficientStorage"
                  }
                }
              },
              "get": {
                "operationId": "readStream",
                "summary": "Read one stream",
                "description": "Reads a stream's events by revision, oldest first or newest first.",
                "tags": [
                  "Events"
                ],
                "x-tally-permission": "readStreams",
                "parameters": [
                  {
                    "$ref": "#/components/parameters/Stream"
                  },
                  {
                    "name": "from",
                    "in": "query",
                    "required": false,
                    "description": "The first revision to read (default: 0 forward, the last revision backward).",
                    "schema": {
                      "type": "integer",
                      "minimum": 0
                    }
                  },
                  {
                    "name": "direction",
                    "in": "query",
                    "required": false,
                    "schema": {
                      "type": "string",
                      "enum": [
                        "forward",
                        "backward"
                      ],
                      "default": "forward"
                    }
                  },
                  {
                    "$ref": "#/components/parameters/Limit"
                  },
                  {
                    "$ref": "#/components/parameters/XRequestID"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "A page of the stream.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      },
                      "Link": {
                        "$ref": "#/components/headers/Link"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/StreamPage"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest",
                    "description": "`invalid-parameter`: `stream`, `from`, `direction` or `limit`."
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound",
                    "description": "`stream-not-found`: the stream has no events."
                  },
                  "503": {
                    "$ref": "#/components/responses/ServiceUnavailable"
                  }
                }
              }
            },
            "/v1/events": {
              "post": {
                "operationId": "appendEvents",
                "summary": "Append events to several streams",
                "description": "Appends events for any number of streams in one atomic write, if every expectation in `expectedRevisions` and the `condition` hold.",
                "tags": [
                  "Events"
                ],
                "x-tally-permission": "appendEvents",
                "parameters": [
                  {
                    "$ref": "#/components/parameters/XRequestID"
                  }
                ],
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "$ref": "#/components/schemas/MultiStreamAppendBody"
                      },
                      "examples": {
                        "01-two-new-streams": {
                          "summary": "Reserve stock and request a shipment in two new streams, atomically",
                          "value": {
                            "expectedRevisions": {
                              "inventory-sku-42": "noStream",
                              "shipments-9": "noStream"
                            },
                            "events": [
                              {
                                "stream": "inventory-sku-42",
                                "type": "stockReserved",
                                "tags": [
                                  "sku:42",
                                  "order:9"
                                ],
                                "data": {
                                  "sku": "42",
                                  "quantity": 2,
                                  "orderId": "9"
                                }
                              },
                              {
                                "stream": "shipments-9",
                                "type": "shipmentRequested",
                                "tags": [
                                  "order:9"
                                ],
                                "data": {
                                  "orderId": "9",
                                  "items": [
                                    {
                                      "sku": "42",
                                      "quantity": 2
                                    }
                                  ]
                                }
                              }
                            ]
                          },
                          "x-expected-status": 201
                        },
                        "02-condition-holds": {
                          "summary": "Claim the username ada: no usernameClaimed event tagged username:ada exists yet",
                          "value": {
                            "condition": {
                              "failIfEventsMatch": [
                                {
                                  "types": [
                                    "usernameClaimed"
                                  ],
                                  "tags": [
                                    "username:ada"
                                  ]
                                }
                              ],
                              "after": 0
                            },
                            "events": [
                              {
                                "stream": "user-u-1",
                                "type": "usernameClaimed",
                                "tags": [
                                  "username:ada"
                                ],
                                "data": {
                                  "userId": "u-1",
                                  "username": "ada"
                                }
                              }
                            ]
                          },
                          "x-expected-status": 201
                        },
                        "03-condition-fails": {
                          "summary": "Claim the username ada for another user: 409 append-condition-failed",
                          "value": {
                            "condition": {
                              "failIfEventsMatch": [
                                {
                                  "types": [
                                    "usernameClaimed"
                                  ],
                                  "tags": [
                                    "username:ada"
                                  ]
                                }
                              ],
                              "after": 0
                            },
                            "events": [
                              {
                                "stream": "user-u-2",
                                "type": "usernameClaimed",
                                "tags": [
                                  "username:ada"
                                ],
                                "data": {
                                  "userId": "u-2",
                                  "username": "ada"
                                }
                              }
                            ]
                          },
                          "x-expected-status": 409
                        }
                      }
                    }
                  }
                },
                "responses": {
                  "201": {
                    "description": "The events were appended.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Receipt"
                        }
                      }
                    }
                  },
                  "200": {
                    "description": "A replay: these events were appended before.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      },
                      "Idempotent-Replayed": {
                        "$ref": "#/components/headers/IdempotentReplayed"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Receipt"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest",
                    "description": "`invalid-body`: not valid JSON, a missing, unknown or mistyped member (`pointer`), an expected revision or condition that is not valid."
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "409": {
                    "$ref": "#/components/responses/Conflict",
                    "description": "`wrong-expected-revision` (`stream`, `expectedRevision`, `actualRevision`), `append-condition-failed` (`position` of the matching event, `after`), `idempotency-conflict` (an event id was used with other content; `id`)."
                  },
                  "413": {
                    "$ref": "#/components/responses/ContentTooLarge"
                  },
                  "422": {
                    "$ref": "#/components/responses/UnprocessableContent",
                    "description": "`invalid-event`: an event breaks a rule (`field`, `reason`, `eventIndex`), for example an empty type, more than 32 tags, metadata that is not an object, or two events with one id; `too-many-events` with `maxEvents` for more than 1000 events."
                  },
                  "503": {
                    "$ref": "#/components/responses/ServiceUnavailable"
                  },
                  "507": {
                    "$ref": "#/components/responses/InsufficientStorage"
                  }
                }
              },
              "get": {
                "operationId": "readEvents",
                "summary": "Read the whole log",
                "description": "Reads the log in position order, optionally filtered. Start with at most one of `after` (forward from the next position), `before` (backward from the previous position) or `from` (this position, in `direction`); by default forward from position 1, or backward from the head. `next` links continue with `after` or `before`.",
                "tags": [
                  "Events"
                ],
                "x-tally-permission": "readEvents",
                "parameters": [
                  {
                    "name": "after",
                    "in": "query",
                    "required": false,
                    "description": "Read forward from the position after this one.",
                    "schema": {
                      "type": "integer",
                      "minimum": 0
                    }
                  },
                  {
                    "name": "before",
                    "in": "query",
                    "required": false,
                    "description": "Read backward from the position before this one (at least 2).",
                    "schema": {
                      "type": "integer",
                      "minimum": 2
                    }
                  },
                  {
                    "name": "from",
                    "in": "query",
                    "required": false,
                    "description": "Read from this position in `direction`.",
                    "schema": {
                      "type": "integer",
                      "minimum": 0
                    }
                  },
                  {
                    "name": "direction",
                    "in": "query",
                    "required": false,
                    "description": "With `from` or alone; `after` and `before` imply theirs.",
                    "schema": {
                      "type": "string",
                      "enum": [
                        "forward",
                        "backward"
                      ],
                      "default": "forward"
                    }
                  },
                  {
                    "$ref": "#/components/parameters/FilterType"
                  },
                  {
                    "$ref": "#/components/parameters/FilterTag"
                  },
                  {
                    "$ref": "#/components/parameters/FilterCategory"
                  },
                  {
                    "$ref": "#/components/parameters/FilterPrefix"
                  },
                  {
                    "$ref": "#/components/parameters/Limit"
                  },
                  {
                    "$ref": "#/components/parameters/XRequestID"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "A page of the log.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      },
                      "Tally-Position": {
                        "$ref": "#/components/headers/TallyPosition"
                      },
                      "Link": {
                        "$ref": "#/components/headers/Link"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/EventPage"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest",
                    "description": "`invalid-parameter`: a position that is not a whole number, more than one of `after`, `before` and `from`, `before` below 2, `direction` or `limit`."
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "503": {
                    "$ref": "#/components/responses/ServiceUnavailable"
                  }
                }
              }
            },
            "/v1/streams": {
              "get": {
                "operationId": "listStreams",
                "summary": "List streams",
                "description": "Lists streams whose names start with `prefix`, in byte order of their names, with each one's last revision and position.",
                "tags": [
                  "Events"
                ],
                "x-tally-permission": "readStreams",
                "parameters": [
                  {
                    "name": "prefix",
                    "in": "query",
                    "required": false,
                    "description": "Only streams whose names start with this.",
                    "schema": {
                      "type": "string"
                    }
                  },
                  {
                    "name": "after",
                    "in": "query",
                    "required": false,
                    "description": "Start after this stream name (the cursor of the `next` link).",
                    "schema": {
                      "type": "string",
                      "minLength": 1
                    }
                  },
                  {
                    "$ref": "#/components/parameters/Limit"
                  },
                  {
                    "$ref": "#/components/parameters/XRequestID"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "A page of streams.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      },
                      "Link": {
                        "$ref": "#/components/headers/Link"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/StreamList"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest",
                    "description": "`invalid-parameter`: `limit`, or an `after` that is not a stream name."
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "503": {
                    "$ref": "#/components/responses/ServiceUnavailable"
                  }
                }
              }
            },
            "/v1/events/live": {
              "get": {
                "operationId": "subscribeEvents",
                "summary": "Follow the log live",
                "description": "Sends the log's events from a starting position (optionally filtered), first those already stored, then each one as it commits, until the client leaves or the server shuts down. The start is the position after `Last-Event-ID`, else after `after`, else `from`, else 1. Server-Sent Events by default: each event is `id: <position>` and `data: <Event JSON>`, and a `: heartbeat` comment is sent after 15 s without events. With `Accept: application/x-ndjson` (or `application/jsonl`) each event is one line of JSON and the heartbeat an empty line.",
                "tags": [
                  "Subscriptions"
                ],
                "x-tally-permission": "readEvents",
                "parameters": [
                  {
                    "name": "Last-Event-ID",
                    "in": "header",
                    "required": false,
                    "description": "The position of the last event received: an SSE client's reconnection sends it.",
                    "schema": {
                      "type": "integer",
                      "minimum": 0
                    }
                  },
                  {
                    "name": "Accept",
                    "in": "header",
                    "required": false,
                    "description": "`application/x-ndjson` or `application/jsonl` for NDJSON; anything else for Server-Sent Events.",
                    "schema": {
                      "type": "string"
                    }
                  },
                  {
                    "name": "after",
                    "in": "query",
                    "required": false,
                    "description": "Start after this position.",
                    "schema": {
                      "type": "integer",
                      "minimum": 0
                    }
                  },
                  {
                    "name": "from",
                    "in": "query",
                    "required": false,
                    "description": "Start at this position (default 1).",
                    "schema": {
                      "type": "integer",
                      "minimum": 0
                    }
                  },
                  {
                    "$ref": "#/components/parameters/FilterType"
                  },
                  {
                    "$ref": "#/components/parameters/FilterTag"
                  },
                  {
                    "$ref": "#/components/parameters/FilterCategory"
                  },
                  {
                    "$ref": "#/components/parameters/FilterPrefix"
                  },
                  {
                    "$ref": "#/components/parameters/XRequestID"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The feed, as long as the connection stays open.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      },
                      "Cache-Control": {
                        "$ref": "#/components/headers/CacheControl"
                      }
                    },
                    "content": {
                      "text/event-stream": {
                        "schema": {
                          "type": "string",
                          "description": "Server-Sent Events; each `data` is an Event."
                        },
                        "example": "id: 1\ndata: {\"position\":1,\"stream\":\"orders-1\",...}\n\n: heartbeat\n\n"
                      },
                      "application/x-ndjson": {
                        "schema": {
                          "type": "string",
                          "description": "One Event JSON object per line."
                        },
                        "example": "{\"position\":1,\"stream\":\"orders-1\",...}\n"
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest",
                    "description": "`invalid-parameter`: `Last-Event-ID`, `after` or `from` is not a whole number."
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "503": {
                    "$ref": "#/components/responses/ServiceUnavailable"
                  }
                }
              }
            },
            "/v1/projections": {
              "get": {
                "operationId": "listProjections",
                "summary": "List projections and their status",
                "description": "Every read model: `account-balances` (inline: always current), `account-statements` and `trial-balance` (async: `lag` positions behind).",
                "tags": [
                  "Projections"
                ],
                "x-tally-permission": "readProjections",
                "parameters": [
                  {
                    "$ref": "#/components/parameters/XRequestID"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The projections.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/ProjectionStatusList"
                        }
                      }
                    }
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "503": {
                    "$ref": "#/components/responses/ServiceUnavailable"
                  }
                }
              }
            },
            "/v1/projections/{name}": {
              "get": {
                "operationId": "listProjectionDocuments",
                "summary": "List a projection's documents",
                "description": "Lists documents in key order. Keys: `account-balances` by account id, `trial-balance` by currency, `account-statements` by `<account>:<revision as 20 digits>`; `account-statements` lists only one account's entries, so its `prefix` must name the account and its colon (for example `a-1:`), otherwise the page is empty.",
                "tags": [
                  "Projections"
                ],
                "x-tally-permission": "readProjections",
                "parameters": [
                  {
                    "$ref": "#/components/parameters/ProjectionName"
                  },
                  {
                    "name": "prefix",
                    "in": "query",
                    "required": false,
                    "description": "Only documents whose keys start with this.",
                    "schema": {
                      "type": "string"
                    }
                  },
                  {
                    "name": "after",
                    "in": "query",
                    "required": false,
                    "description": "Start after this key (the cursor of the `next` link).",
                    "schema": {
                      "type": "string"
                    }
                  },
                  {
                    "$ref": "#/components/parameters/Limit"
                  },
                  {
                    "$ref": "#/components/parameters/MinPosition"
                  },
                  {
                    "$ref": "#/components/parameters/AsOf"
                  },
                  {
                    "$ref": "#/components/parameters/XRequestID"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "A page of documents.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      },
                      "Tally-Position": {
                        "$ref": "#/components/headers/TallyPosition"
                      },
                      "Link": {
                        "$ref": "#/components/headers/Link"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/ProjectionDocumentPage"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest",
                    "description": "`invalid-parameter`: `limit` or `minPosition`."
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound",
                    "description": "`unknown-projection`: no projection has this name."
                  },
                  "422": {
                    "$ref": "#/components/responses/UnprocessableContent",
                    "description": "`as-of-too-far`: `asOf` is beyond what the server replays (`maxAsOf`, default 100000 events); use `tally replay`."
                  },
                  "503": {
                    "$ref": "#/components/responses/ServiceUnavailable",
                    "description": "`projection-behind` (`minPosition` not reached in time), `request-timeout`, `busy` (as many as-of queries as allowed are replaying) or `shutting-down`; retry after `Retry-After` seconds."
                  }
                }
              }
            },
            "/v1/projections/{name}/{key}": {
              "get": {
                "operationId": "getProjectionDocument",
                "summary": "Get one projection document",
                "description": "The document with this key, as of the position in `Tally-Position`.",
                "tags": [
                  "Projections"
                ],
                "x-tally-permission": "readProjections",
                "parameters": [
                  {
                    "$ref": "#/components/parameters/ProjectionName"
                  },
                  {
                    "name": "key",
                    "in": "path",
                    "required": true,
                    "description": "The document key, percent-encoded: an account id, a currency, or `<account>:<revision>`.",
                    "schema": {
                      "type": "string"
                    }
                  },
                  {
                    "$ref": "#/components/parameters/MinPosition"
                  },
                  {
                    "$ref": "#/components/parameters/AsOf"
                  },
                  {
                    "$ref": "#/components/parameters/XRequestID"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The document.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      },
                      "Tally-Position": {
                        "$ref": "#/components/headers/TallyPosition"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/ProjectionDocument"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest",
                    "description": "`invalid-parameter`: `minPosition`."
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "404": {
                    "description": "`unknown-projection`, or `document-not-found` (with `position` and a `Tally-Position` header).",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      },
                      "Tally-Position": {
                        "$ref": "#/components/headers/TallyPosition"
                      }
                    },
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "422": {
                    "$ref": "#/components/responses/UnprocessableContent",
                    "description": "`as-of-too-far`: `asOf` is beyond what the server replays (`maxAsOf`, default 100000 events); use `tally replay`."
                  },
                  "503": {
                    "$ref": "#/components/responses/ServiceUnavailable",
                    "description": "`projection-behind` (`minPosition` not reached in time), `request-timeout`, `busy` (as many as-of queries as allowed are replaying) or `shutting-down`; retry after `Retry-After` seconds."
                  }
                }
              }
            },
            "/v1/projections/{name}/rebuild": {
              "post": {
                "operationId": "rebuildProjection",
                "summary": "Fold an async projection again from position 1",
                "description": "Empties the read model, its dead letters and its checkpoint; the projection runner then folds it again from the first event. Meanwhile queries keep answering, each as of the position it states (`Tally-Position`), so answers are older but never inconsistent. Use it after repairing a projector without changing its version. Inline projections (`account-balances`) are rebuilt only at start-up when their version changes: commands decide from them.",
                "tags": [
                  "Projections"
                ],
                "x-tally-permission": "manageProjections",
                "parameters": [
                  {
                    "name": "name",
                    "in": "path",
                    "required": true,
                    "description": "The projection's name.",
                    "schema": {
                      "type": "string"
                    }
                  }
                ],
                "responses": {
                  "202": {
                    "description": "The read model is emptied; the runner is rebuilding it.",
                    "headers": {
                      "Tally-Position": {
                        "description": "0: the position the emptied read model reflects.",
                        "schema": {
                          "type": "integer"
                        }
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "type": "object",
                          "required": [
                            "projection",
                            "position",
                            "state"
                          ],
                          "properties": {
                            "projection": {
                              "type": "string"
                            },
                            "position": {
                              "type": "integer",
                              "const": 0
                            },
                            "state": {
                              "type": "string",
                              "const": "rebuilding"
                            }
                          }
                        },
                        "example": {
                          "projection": "trial-balance",
                          "position": 0,
                          "state": "rebuilding"
                        }
                      }
                    }
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "404": {
                    "description": "`unknown-projection`, or `document-not-found` (with `position` and a `Tally-Position` header).",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      },
                      "Tally-Position": {
                        "$ref": "#/components/headers/TallyPosition"
                      }
                    },
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "409": {
                    "description": "`projection-not-rebuildable`: the projection is inline.",
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  },
                  "503": {
                    "$ref": "#/components/responses/ServiceUnavailable"
                  }
                }
              }
            },
            "/v1/keys": {
              "post": {
                "operationId": "createKey",
                "summary": "Create an API key",
                "description": "Makes a key with the role given. Its token is in this answer only; the server keeps only a hash.",
                "tags": [
                  "Keys"
                ],
                "x-tally-permission": "manageKeys",
                "parameters": [
                  {
                    "$ref": "#/components/parameters/XRequestID"
                  }
                ],
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "$ref": "#/components/schemas/NewAPIKey"
                      },
                      "examples": {
                        "01-reader-key": {
                          "summary": "Create a key for a dashboard that reads",
                          "value": {
                            "name": "dashboard",
                            "role": "reader"
                          },
                          "x-expected-status": 201
                        },
                        "02-submitter-key": {
                          "summary": "Create a key for a service that submits commands",
                          "value": {
                            "name": "payments-service",
                            "role": "submitter"
                          },
                          "x-expected-status": 201
                        }
                      }
                    }
                  }
                },
                "responses": {
                  "201": {
                    "description": "The key and its token.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/CreatedAPIKey"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest",
                    "description": "`invalid-body`: not `{\"name\": ..., \"role\": ...}` with a known role, or a name outside 1-200 bytes (`pointer`)."
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "413": {
                    "$ref": "#/components/responses/ContentTooLarge"
                  },
                  "503": {
                    "$ref": "#/components/responses/ServiceUnavailable"
                  }
                }
              },
              "get": {
                "operationId": "listKeys",
                "summary": "List API keys",
                "description": "Every key, live and revoked, oldest first; never a secret.",
                "tags": [
                  "Keys"
                ],
                "x-tally-permission": "manageKeys",
                "parameters": [
                  {
                    "$ref": "#/components/parameters/XRequestID"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The keys.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/APIKeyList"
                        }
                      }
                    }
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "503": {
                    "$ref": "#/components/responses/ServiceUnavailable"
                  }
                }
              }
            },
            "/v1/keys/{id}": {
              "delete": {
                "operationId": "revokeKey",
                "summary": "Revoke an API key",
                "description": "Revokes the key at once; revoking a revoked key changes nothing. The key stays in the list with `revokedAt`.",
                "tags": [
                  "Keys"
                ],
                "x-tally-permission": "manageKeys",
                "parameters": [
                  {
                    "name": "id",
                    "in": "path",
                    "required": true,
                    "description": "The key's id.",
                    "schema": {
                      "type": "string"
                    }
                  },
                  {
                    "$ref": "#/components/parameters/XRequestID"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The revoked key.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/APIKey"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest",
                    "description": "`invalid-parameter`: the id is not valid percent-encoding."
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound",
                    "description": "`key-not-found`: no key has this id."
                  },
                  "503": {
                    "$ref": "#/components/responses/ServiceUnavailable"
                  }
                }
              }
            },
            "/v1/checkpoints/latest": {
              "get": {
                "operationId": "getLatestCheckpoint",
                "summary": "Get the latest signed checkpoint",
                "description": "The checkpoint of the largest tree the server has signed: its size, origin and root (hex) and the signed note, a C2SP `tlog-checkpoint` in a `signed-note` with an Ed25519 signature (see `docs/FORMAT.md`). Check the note with the verifier key you pinned (`GET /v1/checkpoint-key` once, or `<data-dir>/checkpoint-verifier.key`), never with the members beside it.",
                "tags": [
                  "Audit"
                ],
                "x-tally-permission": "readProofs",
                "parameters": [
                  {
                    "$ref": "#/components/parameters/XRequestID"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The latest checkpoint.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Checkpoint"
                        }
                      }
                    }
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound",
                    "description": "`checkpoint-not-found`: none was signed yet."
                  }
                }
              }
            },
            "/v1/checkpoints/{size}": {
              "get": {
                "operationId": "getCheckpoint",
                "summary": "Get the signed checkpoint of one tree size",
                "description": "A checkpoint from the history the server keeps: one per tree size it signed (periodically when the log grew, and on `POST /v1/checkpoints`).",
                "tags": [
                  "Audit"
                ],
                "x-tally-permission": "readProofs",
                "parameters": [
                  {
                    "name": "size",
                    "in": "path",
                    "required": true,
                    "description": "The tree size (the log position of the last event covered).",
                    "schema": {
                      "type": "integer",
                      "minimum": 0
                    }
                  },
                  {
                    "$ref": "#/components/parameters/XRequestID"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The checkpoint.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Checkpoint"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest",
                    "description": "`invalid-parameter`: `size` is not a whole number."
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound",
                    "description": "`checkpoint-not-found` (with `size`): no checkpoint was signed at that size."
                  }
                }
              }
            },
            "/v1/erasures": {
              "post": {
                "operationId": "eraseEvents",
                "summary": "Erase the data of events",
                "description": "Replaces the `data` of each named event by a tombstone: `null`, or with `fields` the object without those top-level members. The event keeps its position, stream, type, tags, metadata and time, and its Merkle leaf (which commits to the original data's digest), so every proof and checkpoint stays valid. Every read model that folded the event forgets the erased data; one that cannot do without it refuses the whole erasure (422 `erasure-refused`; the ledger's only personal data is `owner`). The erasure is appended, in the same commit, as an `eventsErased` event in stream `$erasures` with the positions, fields, reason, and the key that asked (metadata `actor`). Events already erased as asked are left alone (`unchanged`); if nothing changes, nothing is appended and the answer is 200.",
                "tags": [
                  "Audit"
                ],
                "x-tally-permission": "eraseEvents",
                "parameters": [
                  {
                    "$ref": "#/components/parameters/XRequestID"
                  }
                ],
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "$ref": "#/components/schemas/ErasureRequest"
                      }
                    }
                  }
                },
                "responses": {
                  "201": {
                    "description": "Erased; `erasure` is the receipt of the `eventsErased` event.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/ErasureResult"
                        }
                      }
                    }
                  },
                  "200": {
                    "description": "Every event was already erased as asked: nothing was written (`erasure` is null).",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/ErasureResult"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound",
                    "description": "`event-not-found`: no event at a named position; nothing was erased."
                  },
                  "413": {
                    "$ref": "#/components/responses/ContentTooLarge"
                  },
                  "422": {
                    "$ref": "#/components/responses/UnprocessableContent",
                    "description": "`not-erasable` (an erasure record, or `fields` for data that is not an object) or `erasure-refused` (a read model needs the data); nothing was erased."
                  },
                  "503": {
                    "$ref": "#/components/responses/ServiceUnavailable",
                    "description": "`request-timeout`, `overloaded` or `shutting-down`; retry after `Retry-After` seconds."
                  },
                  "507": {
                    "$ref": "#/components/responses/InsufficientStorage"
                  }
                }
              }
            },
            "/v1/checkpoints": {
              "post": {
                "operationId": "signCheckpoint",
                "summary": "Sign a checkpoint of the current head",
                "description": "Signs and stores a checkpoint of the tree as it stands, and writes it to `<data-dir>/checkpoint.latest`; if the latest checkpoint already covers the head, that one is returned with 200. No body.",
                "tags": [
                  "Audit"
                ],
                "x-tally-permission": "signCheckpoints",
                "parameters": [
                  {
                    "$ref": "#/components/parameters/XRequestID"
                  }
                ],
                "responses": {
                  "201": {
                    "description": "A new checkpoint.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Checkpoint"
                        }
                      }
                    }
                  },
                  "200": {
                    "description": "The head had not moved: the latest checkpoint.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Checkpoint"
                        }
                      }
                    }
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound",
                    "description": "`checkpoints-not-configured`: the server has no signing key."
                  },
                  "503": {
                    "$ref": "#/components/responses/ServiceUnavailable",
                    "description": "`request-timeout`, `overloaded` or `shutting-down`; retry after `Retry-After` seconds."
                  },
                  "507": {
                    "$ref": "#/components/responses/InsufficientStorage"
                  }
                }
              }
            },
            "/v1/checkpoint-key": {
              "get": {
                "operationId": "getCheckpointKey",
                "summary": "Get the checkpoint verifier key",
                "description": "The public key that signs checkpoints, as a Go `sumdb/note` verifier key string (`<name>+<key id>+<base64(0x01 || Ed25519 public key)>`), and the checkpoints' origin. Pin it once, out of band if you can (it is also in `<data-dir>/checkpoint-verifier.key`).",
                "tags": [
                  "Audit"
                ],
                "x-tally-permission": "readProofs",
                "parameters": [
                  {
                    "$ref": "#/components/parameters/XRequestID"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The verifier key.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/CheckpointKey"
                        }
                      }
                    }
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound",
                    "description": "`checkpoints-not-configured`: the server has no signing key."
                  }
                }
              }
            },
            "/v1/proofs/inclusion": {
              "get": {
                "operationId": "getInclusionProof",
                "summary": "Prove an event is in a tree",
                "description": "The RFC 9162 inclusion proof (audit path, §2.1.3) of the event at `position` in the tree of the first `treeSize` events. Recompute the event's leaf hash from its bytes (the `leafHash` member of every event shows it), fold the path into a root and compare it with the root of a signed checkpoint of size `treeSize`. Hashes are lower-case hex.",
                "tags": [
                  "Audit"
                ],
                "x-tally-permission": "readProofs",
                "parameters": [
                  {
                    "name": "position",
                    "in": "query",
                    "required": true,
                    "description": "The event's log position.",
                    "schema": {
                      "type": "integer",
                      "minimum": 1
                    }
                  },
                  {
                    "name": "treeSize",
                    "in": "query",
                    "required": true,
                    "description": "The size of the tree, for example a signed checkpoint's.",
                    "schema": {
                      "type": "integer",
                      "minimum": 1
                    }
                  },
                  {
                    "$ref": "#/components/parameters/XRequestID"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The proof.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/InclusionProof"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest",
                    "description": "`invalid-parameter`: `position` or `treeSize` missing or not a whole number."
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound",
                    "description": "`tree-too-small` (the log is shorter than `treeSize`) or `position-not-in-tree` (`position` is 0 or beyond `treeSize`)."
                  }
                }
              }
            },
            "/v1/proofs/consistency": {
              "get": {
                "operationId": "getConsistencyProof",
                "summary": "Prove a tree extends an older one",
                "description": "The RFC 9162 consistency proof (§2.1.4) that the tree of the first `from` events is a prefix of the tree of the first `to`: the log only appended in between. Check it against the roots of two signed checkpoints. Empty when `from` is 0 or equals `to`. Hashes are lower-case hex.",
                "tags": [
                  "Audit"
                ],
                "x-tally-permission": "readProofs",
                "parameters": [
                  {
                    "name": "from",
                    "in": "query",
                    "required": true,
                    "description": "The older tree's size.",
                    "schema": {
                      "type": "integer",
                      "minimum": 0
                    }
                  },
                  {
                    "name": "to",
                    "in": "query",
                    "required": true,
                    "description": "The newer tree's size.",
                    "schema": {
                      "type": "integer",
                      "minimum": 0
                    }
                  },
                  {
                    "$ref": "#/components/parameters/XRequestID"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The proof.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/ConsistencyProof"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest",
                    "description": "`invalid-parameter`: `from` or `to` missing or not a whole number."
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound",
                    "description": "`tree-too-small`: the log is shorter than `to`."
                  },
                  "422": {
                    "$ref": "#/components/responses/UnprocessableContent",
                    "description": "`tree-sizes-out-of-order`: `from` is larger than `to`."
                  }
                }
              }
            },
            "/health/live": {
              "get": {
                "operationId": "getLiveness",
                "summary": "Liveness",
                "description": "Answers while the process serves requests.",
                "tags": [
                  "Operations"
                ],
                "security": [],
                "parameters": [
                  {
                    "$ref": "#/components/parameters/XRequestID"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "Alive.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "allOf": [
                            {
                              "$ref": "#/components/schemas/Health"
                            }
                          ],
                          "examples": [
                            {
                              "status": "live"
                            }
                          ]
                        }
                      }
                    }
                  }
                }
              }
            },
            "/health/ready": {
              "get": {
                "operationId": "getReadiness",
                "summary": "Readiness",
                "description": "Answers 200 when the log can be read.",
                "tags": [
                  "Operations"
                ],
                "security": [],
                "parameters": [
                  {
                    "$ref": "#/components/parameters/XRequestID"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "Ready.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "allOf": [
                            {
                              "$ref": "#/components/schemas/Health"
                            }
                          ],
                          "examples": [
                            {
                              "status": "ready",
                              "position": 42
                            }
                          ]
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "`not-ready`: the log cannot be read (or `request-timeout`).",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      }
                    },
                    "content": {
                      "application/problem+json": {
                        "schema": {
                          "$ref": "#/components/schemas/Problem"
                        }
                      }
                    }
                  }
                }
              }
            },
            "/metrics": {
              "get": {
                "operationId": "getMetrics",
                "summary": "Prometheus metrics",
                "description": "HTTP requests and their durations by method and route, the log's head, stream count, map size and use, each projection's lag (sampled on each scrape), and the writer's commits, events, batch sizes and commit latency, in the Prometheus text format (version 0.0.4).",
                "tags": [
                  "Operations"
                ],
                "security": [],
                "parameters": [
                  {
                    "$ref": "#/components/parameters/XRequestID"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The metrics (`Content-Type: text/plain; version=0.0.4; charset=utf-8`).",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      }
                    },
                    "content": {
                      "text/plain": {
                        "schema": {
                          "type": "string"
                        }
                      }
                    }
                  },
                  "503": {
                    "$ref": "#/components/responses/ServiceUnavailable"
                  }
                }
              }
            },
            "/v1/openapi.json": {
              "get": {
                "operationId": "getOpenAPIDocument",
                "summary": "This document",
                "description": "The OpenAPI 3.1 description of every route.",
                "tags": [
                  "Operations"
                ],
                "security": [],
                "parameters": [
                  {
                    "$ref": "#/components/parameters/XRequestID"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The OpenAPI document.",
                    "headers": {
                      "X-Request-ID": {
                        "$ref": "#/components/headers/XRequestID"
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "type": "object"
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "components": {
            "securitySchemes": {
              "apiKey": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "tally_<id>_<secret>",
                "description": "An API key's token. The first admin key is written to `<data-dir>/admin.key` when the server starts in an empty data directory."
              }
            },
            "schemas": {
              "Event": {
                "type": "object",
                "description": "An event as every read returns it. `data` and `metadata` are the bytes stored, unchanged.",
                "required": [
                  "position",
                  "stream",
                  "revision",
                  "id",
                  "type",
                  "tags",
                  "data",
                  "metadata",
                  "recordedAt",
                  "leafHash"
                ],
                "properties": {
                  "position": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "The event's place in the whole log."
                  },
                  "stream": {
                    "type": "string",
                    "description": "The stream it belongs to."
                  },
                  "revision": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "Its place in its stream, from 0."
                  },
                  "id": {
                    "type": "string",
                    "format": "uuid",
                    "description": "The event's id, lower case."
                  },
                  "type": {
                    "type": "string",
                    "description": "What happened, for example `deposited`."
                  },
                  "tags": {
                    "type": "array",
                    "items": {
                      "type": "string"
                    },
                    "description": "Labels for queries and conditions."
                  },
                  "data": {
                    "description": "The payload: any JSON value, exactly as appended; for an erased event what the erasure kept (`null`, or the object without the erased members)."
                  },
                  "erasure": {
                    "type": "object",
                    "required": [
                      "erasedBy",
                      "dataDigest"
                    ],
                    "properties": {
                      "erasedBy": {
                        "type": "integer",
                        "minimum": 1,
                        "description": "The position of the `eventsErased` event (stream `$erasures`) that erased it."
                      },
                      "dataDigest": {
                        "type": "string",
                        "pattern": "^[0-9a-f]{64}$",
                        "description": "SHA-256 of the data as appended: what the leaf still commits to."
                      }
                    },
                    "description": "Present only on an erased event."
                  },
                  "metadata": {
                    "type": "object",
                    "additionalProperties": true,
                    "description": "Context: for commands `commandId`, `commandType`, `correlationId` and `actor`; for raw appends without metadata `correlationId` and `actor`."
                  },
                  "recordedAt": {
                    "type": "string",
                    "format": "date-time",
                    "description": "When the log recorded it: RFC 3339 UTC with microseconds.",
                    "examples": [
                      "2026-11-27T14:05:09.123456Z"
                    ]
                  },
                  "leafHash": {
                    "type": "string",
                    "pattern": "^[0-9a-f]{64}$",
                    "description": "The event's Merkle leaf hash (RFC 6962, over its canonical bytes, see docs/FORMAT.md), hex: what an inclusion proof starts from. A convenience: auditors recompute it."
                  }
                }
              },
              "ErasureRequest": {
                "type": "object",
                "required": [
                  "positions",
                  "reason"
                ],
                "additionalProperties": false,
                "properties": {
                  "positions": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 1000,
                    "items": {
                      "type": "integer",
                      "minimum": 1
                    },
                    "description": "The events whose data goes."
                  },
                  "fields": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                      "type": "string",
                      "minLength": 1
                    },
                    "description": "Top-level members of each event's data object to erase; absent: the whole data."
                  },
                  "reason": {
                    "type": "string",
                    "minLength": 1,
                    "description": "Why (a ticket or legal basis; never the erased data): 1-1000 bytes, no control characters. Recorded in the erasure event."
                  }
                }
              },
              "ErasureResult": {
                "type": "object",
                "required": [
                  "erasure",
                  "erased",
                  "unchanged"
                ],
                "properties": {
                  "erasure": {
                    "oneOf": [
                      {
                        "$ref": "#/components/schemas/Receipt"
                      },
                      {
                        "type": "null"
                      }
                    ],
                    "description": "The receipt of the `eventsErased` event in `$erasures`; null if nothing changed."
                  },
                  "erased": {
                    "type": "array",
                    "items": {
                      "type": "integer"
                    },
                    "description": "Positions whose data this erasure changed."
                  },
                  "unchanged": {
                    "type": "array",
                    "items": {
                      "type": "integer"
                    },
                    "description": "Positions already erased as asked."
                  }
                }
              },
              "Checkpoint": {
                "type": "object",
                "description": "A signed checkpoint: the signed note and, for convenience, what it states (trust the note only once its signature checks out).",
                "required": [
                  "size",
                  "origin",
                  "root",
                  "note"
                ],
                "properties": {
                  "size": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "The tree size."
                  },
                  "origin": {
                    "type": "string",
                    "description": "The log's name, the note's first line.",
                    "examples": [
                      "tally.local/e53706b95265b2ee"
                    ]
                  },
                  "root": {
                    "type": "string",
                    "pattern": "^[0-9a-f]{64}$",
                    "description": "The root hash, hex (base64 in the note)."
                  },
                  "note": {
                    "type": "string",
                    "description": "The C2SP signed note, byte for byte as signed.",
                    "examples": [
                      "tally.local/test\n3\ne9ajD8aGEQGzF9PuX+7PEJhES1052EoBHEUCMMgkJoo=\n\n— tally.local/test Man/76cpHPD2eylseuAbv3vf9shq+WMyCfSjElMXXJVXPU+heQzgNNP3d5J8m4bPwaP1rgbnoETiJljKR/DgwzrVTwI=\n"
                    ]
                  }
                }
              },
              "CheckpointKey": {
                "type": "object",
                "required": [
                  "origin",
                  "verifierKey"
                ],
                "description": "The key that signs checkpoints.",
                "properties": {
                  "origin": {
                    "type": "string",
                    "description": "The checkpoints' origin line."
                  },
                  "verifierKey": {
                    "type": "string",
                    "description": "A Go `sumdb/note` verifier key string.",
                    "examples": [
                      "tally.local/test+31a9ffef+ATrDbDR0IWByx5R2iMNVysQSHtmsQ/71WEifez1lDhz6"
                    ]
                  }
                }
              },
              "InclusionProof": {
                "type": "object",
                "required": [
                  "position",
                  "leafIndex",
                  "treeSize",
                  "path"
                ],
                "description": "An RFC 9162 inclusion proof.",
                "properties": {
                  "position": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "The event's position."
                  },
                  "leafIndex": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "Its leaf index: position - 1."
                  },
                  "treeSize": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "The tree's size."
                  },
                  "path": {
                    "type": "array",
                    "items": {
                      "type": "string",
                      "pattern": "^[0-9a-f]{64}$"
                    },
                    "description": "The sibling subtree hashes from the leaf up, hex."
                  }
                }
              },
              "ConsistencyProof": {
                "type": "object",
                "required": [
                  "from",
                  "to",
                  "path"
                ],
                "description": "An RFC 9162 consistency proof.",
                "properties": {
                  "from": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "The older tree's size."
                  },
                  "to": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "The newer tree's size."
                  },
                  "path": {
                    "type": "array",
                    "items": {
                      "type": "string",
                      "pattern": "^[0-9a-f]{64}$"
                    },
                    "description": "The proof's hashes in RFC 9162 order, hex."
                  }
                }
              },
              "TreeHead": {
                "type": "object",
                "description": "A Merkle tree head (RFC 6962) over the first `size` events of the log.",
                "required": [
                  "size",
                  "root"
                ],
                "properties": {
                  "size": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "The number of events covered."
                  },
                  "root": {
                    "type": "string",
                    "pattern": "^[0-9a-f]{64}$",
                    "description": "The SHA-256 root hash, hex."
                  }
                }
              },
              "Receipt": {
                "type": "object",
                "description": "What an append wrote, answered once it is durable.",
                "required": [
                  "replayed",
                  "positions",
                  "streamRevisions",
                  "checkpoint",
                  "events"
                ],
                "properties": {
                  "replayed": {
                    "type": "boolean",
                    "description": "Whether this is the original answer to an earlier identical request (nothing was written now)."
                  },
                  "positions": {
                    "type": [
                      "object",
                      "null"
                    ],
                    "description": "The log positions the events occupy; `null` when nothing was appended.",
                    "required": [
                      "first",
                      "last"
                    ],
                    "properties": {
                      "first": {
                        "type": "integer",
                        "minimum": 1
                      },
                      "last": {
                        "type": "integer",
                        "minimum": 1
                      }
                    }
                  },
                  "streamRevisions": {
                    "type": "object",
                    "description": "Each stream written, with its revision after the append.",
                    "additionalProperties": {
                      "type": "integer",
                      "minimum": 0
                    }
                  },
                  "checkpoint": {
                    "allOf": [
                      {
                        "$ref": "#/components/schemas/TreeHead"
                      }
                    ],
                    "description": "A tree head that includes the events (its size may exceed the last position)."
                  },
                  "events": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Event"
                    },
                    "description": "The events appended, in order."
                  }
                }
              },
              "CommandResult": {
                "description": "The answer to a command: its id and type, then the receipt of what it appended.",
                "allOf": [
                  {
                    "type": "object",
                    "required": [
                      "commandId",
                      "commandType"
                    ],
                    "properties": {
                      "commandId": {
                        "type": "string",
                        "format": "uuid",
                        "description": "The `Idempotency-Key` (or its hash as a UUID), or a new id."
                      },
                      "commandType": {
                        "type": "string",
                        "description": "The type from the path."
                      }
                    }
                  },
                  {
                    "$ref": "#/components/schemas/Receipt"
                  }
                ]
              },
              "OpenAccountCommand": {
                "type": "object",
                "description": "Body of `openAccount`.",
                "required": [
                  "id",
                  "owner",
                  "currency"
                ],
                "additionalProperties": false,
                "properties": {
                  "id": {
                    "type": "string",
                    "pattern": "^[A-Za-z0-9._-]{1,64}$",
                    "description": "The account id: 1-64 characters of `A-Z a-z 0-9 - _ .`; other ids are refused with 422 `invalid-account-id`."
                  },
                  "owner": {
                    "type": "string",
                    "minLength": 1,
                    "description": "Who holds the account: 1-200 bytes."
                  },
                  "currency": {
                    "type": "string",
                    "description": "An active ISO 4217 code such as `EUR` (422 `invalid-currency` otherwise)."
                  },
                  "overdraftLimit": {
                    "type": "integer",
                    "minimum": 0,
                    "default": 0,
                    "description": "How far below zero the balance may go, in minor units."
                  }
                }
              },
              "MovementCommand": {
                "type": "object",
                "description": "Body of `deposit` and `withdraw`.",
                "required": [
                  "account",
                  "amount"
                ],
                "additionalProperties": false,
                "properties": {
                  "account": {
                    "type": "string",
                    "description": "The account id."
                  },
                  "amount": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "Minor units of the account's currency (cents for EUR); must be above zero (422 `non-positive-amount`)."
                  }
                }
              },
              "TransferCommand": {
                "type": "object",
                "description": "Body of `transfer`: both legs are appended atomically.",
                "required": [
                  "from",
                  "to",
                  "amount"
                ],
                "additionalProperties": false,
                "properties": {
                  "from": {
                    "type": "string",
                    "description": "The account debited."
                  },
                  "to": {
                    "type": "string",
                    "description": "The account credited, in the same currency."
                  },
                  "amount": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "Minor units of the account's currency (cents for EUR); must be above zero (422 `non-positive-amount`)."
                  }
                }
              },
              "AccountCommand": {
                "type": "object",
                "description": "Body of `freeze`, `unfreeze` and `close`.",
                "required": [
                  "account"
                ],
                "additionalProperties": false,
                "properties": {
                  "account": {
                    "type": "string",
                    "description": "The account id."
                  }
                }
              },
              "ExpectedRevision": {
                "description": "What a stream's revision must be: `any` (no check), `noStream` (it has no events), `exists` (it has at least one) or the exact revision of its last event.",
                "oneOf": [
                  {
                    "type": "string",
                    "enum": [
                      "any",
                      "noStream",
                      "exists"
                    ]
                  },
                  {
                    "type": "integer",
                    "minimum": 0
                  }
                ]
              },
              "ProposedEvent": {
                "type": "object",
                "description": "An event to append to the stream named in the path.",
                "required": [
                  "type",
                  "data"
                ],
                "additionalProperties": false,
                "properties": {
                  "id": {
                    "type": "string",
                    "format": "uuid",
                    "description": "The event's id (a new one if absent). An event sent again with the same id and content is not appended twice."
                  },
                  "type": {
                    "type": "string",
                    "minLength": 1,
                    "description": "1-200 bytes, no control characters."
                  },
                  "tags": {
                    "type": "array",
                    "maxItems": 32,
                    "items": {
                      "type": "string",
                      "minLength": 1
                    },
                    "description": "Up to 32 tags of 1-200 bytes each; duplicates are dropped."
                  },
                  "data": {
                    "description": "The payload: any JSON value up to 4 MiB, stored byte for byte."
                  },
                  "metadata": {
                    "type": "object",
                    "additionalProperties": true,
                    "description": "A JSON object up to 4 MiB; if absent, `correlationId` (the request id) and `actor`."
                  }
                }
              },
              "ProposedStreamEvent": {
                "type": "object",
                "description": "An event to append, naming its stream.",
                "required": [
                  "stream",
                  "type",
                  "data"
                ],
                "additionalProperties": false,
                "properties": {
                  "stream": {
                    "type": "string",
                    "minLength": 1,
                    "description": "1-200 bytes, no control characters."
                  },
                  "id": {
                    "type": "string",
                    "format": "uuid",
                    "description": "The event's id (a new one if absent). An event sent again with the same id and content is not appended twice."
                  },
                  "type": {
                    "type": "string",
                    "minLength": 1,
                    "description": "1-200 bytes, no control characters."
                  },
                  "tags": {
                    "type": "array",
                    "maxItems": 32,
                    "items": {
                      "type": "string",
                      "minLength": 1
                    },
                    "description": "Up to 32 tags of 1-200 bytes each; duplicates are dropped."
                  },
                  "data": {
                    "description": "The payload: any JSON value up to 4 MiB, stored byte for byte."
                  },
                  "metadata": {
                    "type": "object",
                    "additionalProperties": true,
                    "description": "A JSON object up to 4 MiB; if absent, `correlationId` (the request id) and `actor`."
                  }
                }
              },
              "EventQuery": {
                "type": "object",
                "description": "Selects events; every given criterion must hold, and at least one must be given.",
                "additionalProperties": false,
                "minProperties": 1,
                "properties": {
                  "types": {
                    "type": "array",
                    "items": {
                      "type": "string"
                    },
                    "description": "The event's type is one of these."
                  },
                  "tags": {
                    "type": "array",
                    "items": {
                      "type": "string"
                    },
                    "description": "The event carries all of these."
                  },
                  "category": {
                    "type": "string",
                    "description": "The stream's category (its name before the first `-`)."
                  },
                  "streamPrefix": {
                    "type": "string",
                    "description": "The stream's name starts with this."
                  }
                }
              },
              "Condition": {
                "type": "object",
                "description": "A Dynamic Consistency Boundary condition: the append is refused (409 `append-condition-failed`) if any event after position `after` matches any of the queries.",
                "required": [
                  "failIfEventsMatch"
                ],
                "additionalProperties": false,
                "properties": {
                  "failIfEventsMatch": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/EventQuery"
                    },
                    "description": "The queries; an empty array matches any event."
                  },
                  "after": {
                    "type": "integer",
                    "minimum": 0,
                    "default": 0,
                    "description": "The position the decision was based on; only later events count."
                  }
                }
              },
              "SingleStreamAppendBody": {
                "type": "object",
                "description": "Body of `POST /v1/streams/{stream}/events`. Unknown members are refused.",
                "required": [
                  "events"
                ],
                "additionalProperties": false,
                "properties": {
                  "expectedRevision": {
                    "allOf": [
                      {
                        "$ref": "#/components/schemas/ExpectedRevision"
                      }
                    ],
                    "description": "What the stream's revision must be (default `any`)."
                  },
                  "events": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 1000,
                    "items": {
                      "$ref": "#/components/schemas/ProposedEvent"
                    }
                  },
                  "condition": {
                    "$ref": "#/components/schemas/Condition"
                  }
                }
              },
              "MultiStreamAppendBody": {
                "type": "object",
                "description": "Body of `POST /v1/events`: events for any streams, appended atomically. Unknown members are refused.",
                "required": [
                  "events"
                ],
                "additionalProperties": false,
                "properties": {
                  "expectedRevisions": {
                    "type": "object",
                    "description": "By stream name, what its revision must be; a stream may be named without receiving events, to make the append depend on it.",
                    "additionalProperties": {
                      "$ref": "#/components/schemas/ExpectedRevision"
                    }
                  },
                  "events": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 1000,
                    "items": {
                      "$ref": "#/components/schemas/ProposedStreamEvent"
                    }
                  },
                  "condition": {
                    "$ref": "#/components/schemas/Condition"
                  }
                }
              },
              "EventPage": {
                "type": "object",
                "description": "A page of the whole log.",
                "required": [
                  "head",
                  "events",
                  "next"
                ],
                "properties": {
                  "head": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "The log's last position when the page was read."
                  },
                  "events": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Event"
                    }
                  },
                  "next": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "description": "The relative link to the next page, or `null` at the end."
                  }
                }
              },
              "StreamPage": {
                "type": "object",
                "description": "A page of one stream.",
                "required": [
                  "stream",
                  "headRevision",
                  "events",
                  "next"
                ],
                "properties": {
                  "stream": {
                    "type": "string"
                  },
                  "headRevision": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "The stream's last revision."
                  },
                  "events": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Event"
                    }
                  },
                  "next": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "description": "The relative link to the next page, or `null` at the end."
                  }
                }
              },
              "StreamHead": {
                "type": "object",
                "required": [
                  "stream",
                  "revision",
                  "position"
                ],
                "properties": {
                  "stream": {
                    "type": "string"
                  },
                  "revision": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "The revision of its last event."
                  },
                  "position": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "The position of its last event."
                  }
                }
              },
              "StreamList": {
                "type": "object",
                "description": "A page of the streams, in byte order of their names.",
                "required": [
                  "streams",
                  "next"
                ],
                "properties": {
                  "streams": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/StreamHead"
                    }
                  },
                  "next": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "description": "The relative link to the next page, or `null` at the end."
                  }
                }
              },
              "ProjectionStatus": {
                "type": "object",
                "required": [
                  "name",
                  "version",
                  "mode",
                  "position",
                  "lag",
                  "deadLetters",
                  "state"
                ],
                "properties": {
                  "name": {
                    "type": "string",
                    "examples": [
                      "account-balances"
                    ]
                  },
                  "version": {
                    "type": "integer",
                    "description": "The version queries read."
                  },
                  "mode": {
                    "type": "string",
                    "enum": [
                      "inline",
                      "async"
                    ],
                    "description": "`inline`: updated in the append's transaction; `async`: in the background."
                  },
                  "position": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "The last log position it reflects."
                  },
                  "lag": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "How many positions it is behind the log."
                  },
                  "deadLetters": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "Events it could not apply."
                  },
                  "state": {
                    "type": "string",
                    "enum": [
                      "healthy",
                      "degraded",
                      "rebuilding"
                    ]
                  },
                  "rebuildingVersion": {
                    "type": "integer",
                    "description": "Only when `rebuilding`: the version being built while queries read `version`."
                  }
                }
              },
              "ProjectionStatusList": {
                "type": "object",
                "required": [
                  "projections"
                ],
                "properties": {
                  "projections": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/ProjectionStatus"
                    }
                  }
                }
              },
              "ProjectionDocumentPage": {
                "type": "object",
                "description": "A page of a projection's documents, in key order.",
                "required": [
                  "projection",
                  "position",
                  "documents",
                  "next"
                ],
                "properties": {
                  "projection": {
                    "type": "string"
                  },
                  "position": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "The log position the documents reflect."
                  },
                  "documents": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "required": [
                        "key",
                        "value"
                      ],
                      "properties": {
                        "key": {
                          "type": "string"
                        },
                        "value": {
                          "description": "The document: an `AccountBalance` (account-balances), a `StatementEntry` (account-statements) or a `CurrencyTotals` (trial-balance).",
                          "oneOf": [
                            {
                              "$ref": "#/components/schemas/AccountBalance"
                            },
                            {
                              "$ref": "#/components/schemas/StatementEntry"
                            },
                            {
                              "$ref": "#/components/schemas/CurrencyTotals"
                            }
                          ]
                        }
                      }
                    }
                  },
                  "next": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "description": "The relative link to the next page, or `null`; present whenever the page is full."
                  }
                }
              },
              "ProjectionDocument": {
                "type": "object",
                "description": "One document of a projection.",
                "required": [
                  "projection",
                  "key",
                  "position",
                  "value"
                ],
                "properties": {
                  "projection": {
                    "type": "string"
                  },
                  "key": {
                    "type": "string"
                  },
                  "position": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "The log position the document reflects."
                  },
                  "value": {
                    "description": "The document: an `AccountBalance` (account-balances), a `StatementEntry` (account-statements) or a `CurrencyTotals` (trial-balance).",
                    "oneOf": [
                      {
                        "$ref": "#/components/schemas/AccountBalance"
                      },
                      {
                        "$ref": "#/components/schemas/StatementEntry"
                      },
                      {
                        "$ref": "#/components/schemas/CurrencyTotals"
                      }
                    ]
                  }
                }
              },
              "AccountBalance": {
                "type": "object",
                "description": "An `account-balances` document (inline projection), keyed by account id.",
                "required": [
                  "id",
                  "owner",
                  "currency",
                  "balance",
                  "overdraftLimit",
                  "available",
                  "status",
                  "revision",
                  "position"
                ],
                "properties": {
                  "id": {
                    "type": "string"
                  },
                  "owner": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "description": "null once erased."
                  },
                  "currency": {
                    "type": "string",
                    "examples": [
                      "EUR"
                    ]
                  },
                  "balance": {
                    "type": "integer",
                    "description": "Minor units."
                  },
                  "overdraftLimit": {
                    "type": "integer",
                    "minimum": 0
                  },
                  "available": {
                    "type": "integer",
                    "description": "What a withdrawal may take: balance plus overdraft limit."
                  },
                  "status": {
                    "type": "string",
                    "enum": [
                      "active",
                      "frozen",
                      "closed"
                    ]
                  },
                  "revision": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "The account stream's revision."
                  },
                  "position": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "The position of its last event."
                  }
                }
              },
              "StatementEntry": {
                "type": "object",
                "description": "An `account-statements` document (async projection): one movement of money, keyed `<account>:<revision as 20 digits>`.",
                "required": [
                  "account",
                  "revision",
                  "position",
                  "recordedAt",
                  "kind",
                  "amount",
                  "balanceAfter",
                  "counterparty"
                ],
                "properties": {
                  "account": {
                    "type": "string"
                  },
                  "revision": {
                    "type": "integer",
                    "minimum": 1
                  },
                  "position": {
                    "type": "integer",
                    "minimum": 1
                  },
                  "recordedAt": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "kind": {
                    "type": "string",
                    "enum": [
                      "deposit",
                      "withdrawal",
                      "transferIn",
                      "transferOut"
                    ]
                  },
                  "amount": {
                    "type": "integer",
                    "description": "The change to the balance: positive in, negative out."
                  },
                  "balanceAfter": {
                    "type": "integer"
                  },
                  "counterparty": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "description": "The other account of a transfer."
                  }
                }
              },
              "CurrencyTotals": {
                "type": "object",
                "description": "A `trial-balance` document (async projection), keyed by currency; `balances` always equals `deposits - withdrawals`.",
                "required": [
                  "currency",
                  "deposits",
                  "withdrawals",
                  "balances",
                  "accounts"
                ],
                "properties": {
                  "currency": {
                    "type": "string"
                  },
                  "deposits": {
                    "type": "integer"
                  },
                  "withdrawals": {
                    "type": "integer"
                  },
                  "balances": {
                    "type": "integer",
                    "description": "The sum of every account's balance."
                  },
                  "accounts": {
                    "type": "integer",
                    "description": "How many accounts were opened in this currency."
                  }
                }
              },
              "Role": {
                "type": "string",
                "enum": [
                  "admin",
                  "writer",
                  "submitter",
                  "reader",
                  "auditor"
                ],
                "description": "What a key may do (see the table in the introduction)."
              },
              "APIKey": {
                "type": "object",
                "description": "An API key's public members; the secret is never shown again after creation.",
                "required": [
                  "id",
                  "name",
                  "role",
                  "createdAt",
                  "revokedAt"
                ],
                "properties": {
                  "id": {
                    "type": "string",
                    "pattern": "^[0-9a-f]{12}$"
                  },
                  "name": {
                    "type": "string"
                  },
                  "role": {
                    "$ref": "#/components/schemas/Role"
                  },
                  "createdAt": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "revokedAt": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "format": "date-time"
                  }
                }
              },
              "APIKeyList": {
                "type": "object",
                "required": [
                  "keys"
                ],
                "properties": {
                  "keys": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/APIKey"
                    },
                    "description": "Oldest first."
                  }
                }
              },
              "NewAPIKey": {
                "type": "object",
                "description": "Body of `POST /v1/keys`; other members are ignored.",
                "required": [
                  "name",
                  "role"
                ],
                "properties": {
                  "name": {
                    "type": "string",
                    "minLength": 1,
                    "description": "A label for people: 1-200 bytes."
                  },
                  "role": {
                    "$ref": "#/components/schemas/Role"
                  }
                }
              },
              "CreatedAPIKey": {
                "description": "A new key and its token, shown only in this answer.",
                "allOf": [
                  {
                    "$ref": "#/components/schemas/APIKey"
                  },
                  {
                    "type": "object",
                    "required": [
                      "token"
                    ],
                    "properties": {
                      "token": {
                        "type": "string",
                        "pattern": "^tally_[0-9a-f]{12}_[0-9a-f]{64}$",
                        "description": "Send it as `Authorization: Bearer <token>`."
                      }
                    }
                  }
                ]
              },
              "Health": {
                "type": "object",
                "required": [
                  "status"
                ],
                "properties": {
                  "status": {
                    "type": "string",
                    "enum": [
                      "live",
                      "ready"
                    ]
                  },
                  "position": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "Readiness only: the log's last position."
                  }
                }
              },
              "Problem": {
                "type": "object",
                "description": "An RFC 9457 problem document. Types by slug: `invalid-body` 400; `too-many-events` 422; `invalid-parameter` 400; `invalid-command` 400; `invalid-idempotency-key` 400; `unauthorized` 401; `forbidden` 403; `not-found` 404; `event-not-found` 404; `unknown-command` 404; `unknown-projection` 404; `document-not-found` 404; `stream-not-found` 404; `key-not-found` 404; `method-not-allowed` 405; `wrong-expected-revision` 409; `append-condition-failed` 409; `idempotency-conflict` 409; `projection-not-rebuildable` 409; `body-too-large` 413; `invalid-event` 422; `not-erasable`, `erasure-refused`, `as-of-too-far` 422; `unknown-account, account-exists, insufficient-funds, currency-mismatch, account-frozen, account-closed, same-account, non-positive-amount, non-zero-balance, invalid-currency, invalid-account-id, invalid-owner, negative-overdraft-limit, balance-overflow` 422 (ledger rules); `internal` 500; `request-timeout, projection-behind, overloaded, busy, shutting-down, not-ready` 503; `storage-full` 507. Extension members follow the standard ones; those listed here are the ones Tally writes.",
                "required": [
                  "type",
                  "title",
                  "status",
                  "instance"
                ],
                "additionalProperties": true,
                "properties": {
                  "type": {
                    "type": "string",
                    "format": "uri",
                    "description": "`https://tally.dev/problems/` and a slug.",
                    "examples": [
                      "https://tally.dev/problems/insufficient-funds"
                    ]
                  },
                  "title": {
                    "type": "string",
                    "description": "A summary of the kind of problem."
                  },
                  "status": {
                    "type": "integer",
                    "description": "The HTTP status."
                  },
                  "detail": {
                    "type": "string",
                    "description": "What went wrong this time."
                  },
                  "instance": {
                    "type": "string",
                    "description": "The request path."
                  },
                  "pointer": {
                    "type": "string",
                    "description": "The JSON pointer of the offending body member."
                  },
                  "parameter": {
                    "type": "string",
                    "description": "The offending query or path parameter or header."
                  },
                  "header": {
                    "type": "string",
                    "description": "The offending header."
                  },
                  "member": {
                    "type": "string",
                    "description": "A command body member the command does not have."
                  },
                  "commandType": {
                    "type": "string"
                  },
                  "rule": {
                    "type": "string",
                    "description": "The ledger rule broken, for example `insufficientFunds`."
                  },
                  "account": {
                    "type": "string"
                  },
                  "available": {
                    "type": "integer"
                  },
                  "requested": {
                    "type": "integer"
                  },
                  "balance": {
                    "type": "integer"
                  },
                  "amount": {
                    "type": "integer"
                  },
                  "currency": {
                    "type": "string"
                  },
                  "fromCurrency": {
                    "type": "string"
                  },
                  "toCurrency": {
                    "type": "string"
                  },
                  "overdraftLimit": {
                    "type": "integer"
                  },
                  "stream": {
                    "type": "string"
                  },
                  "expectedRevision": {
                    "$ref": "#/components/schemas/ExpectedRevision"
                  },
                  "actualRevision": {
                    "type": [
                      "integer",
                      "null"
                    ]
                  },
                  "position": {
                    "type": "integer"
                  },
                  "after": {
                    "type": "integer"
                  },
                  "id": {
                    "type": "string"
                  },
                  "field": {
                    "type": "string",
                    "enum": [
                      "stream",
                      "type",
                      "tag",
                      "data",
                      "metadata",
                      "id",
                      "events",
                      "condition"
                    ]
                  },
                  "reason": {
                    "type": "string",
                    "enum": [
                      "empty",
                      "tooLong",
                      "invalidUTF8",
                      "controlCharacter",
                      "invalidJSON",
                      "duplicateKey",
                      "tooDeep",
                      "notAnObject",
                      "duplicateID",
                      "reserved"
                    ]
                  },
                  "eventIndex": {
                    "type": "integer",
                    "minimum": 0
                  },
                  "maxBytes": {
                    "type": "integer"
                  },
                  "maxEvents": {
                    "type": "integer"
                  },
                  "minPosition": {
                    "type": "integer"
                  },
                  "role": {
                    "$ref": "#/components/schemas/Role"
                  },
                  "permission": {
                    "type": "string"
                  }
                }
              }
            },
            "parameters": {
              "XRequestID": {
                "name": "X-Request-ID",
                "in": "header",
                "required": false,
                "description": "A correlation id of 1-128 visible ASCII characters; others are replaced by a new one.",
                "schema": {
                  "type": "string",
                  "minLength": 1,
                  "maxLength": 128
                }
              },
              "Limit": {
                "name": "limit",
                "in": "query",
                "required": false,
                "description": "The most items in the page (400 `invalid-parameter` outside 1-1000).",
                "schema": {
                  "type": "integer",
                  "minimum": 1,
                  "maximum": 1000,
                  "default": 100
                }
              },
              "AsOf": {
                "name": "asOf",
                "in": "query",
                "required": false,
                "description": "Answer as of this log position: the read model is folded afresh from events 1 to `asOf` into a scratch copy (\"what was this balance at the end of the quarter\"), and the answer's `position` is `asOf`. For short histories: at most 100000 events (422 `as-of-too-far` beyond; `tally replay` answers any point offline), two at a time (503 `busy`). Cannot be combined with `minPosition` (400); beyond the head, 404 `tree-too-small`.",
                "schema": {
                  "type": "integer",
                  "minimum": 0
                }
              },
              "MinPosition": {
                "name": "minPosition",
                "in": "query",
                "required": false,
                "description": "Wait (at most 10 s) until the projection reflects this log position, for example the last position of a write; 503 `projection-behind` with `Retry-After: 1` if it does not get there; 400 `invalid-parameter` at once for a position beyond the log's last one (no write can be there).",
                "schema": {
                  "type": "integer",
                  "minimum": 0
                }
              },
              "Stream": {
                "name": "stream",
                "in": "path",
                "required": true,
                "description": "The stream name, percent-encoded: 1-200 bytes of UTF-8 without control characters.",
                "schema": {
                  "type": "string",
                  "minLength": 1
                }
              },
              "ProjectionName": {
                "name": "name",
                "in": "path",
                "required": true,
                "description": "The projection (404 `unknown-projection` for other names).",
                "schema": {
                  "type": "string",
                  "enum": [
                    "account-balances",
                    "account-statements",
                    "trial-balance"
                  ]
                }
              },
              "FilterType": {
                "name": "type",
                "in": "query",
                "required": false,
                "description": "Only events of these types (repeat the parameter for several; any of them matches).",
                "schema": {
                  "type": "array",
                  "items": {
                    "type": "string"
                  }
                },
                "style": "form",
                "explode": true
              },
              "FilterTag": {
                "name": "tag",
                "in": "query",
                "required": false,
                "description": "Only events carrying every one of these tags (repeat the parameter for several).",
                "schema": {
                  "type": "array",
                  "items": {
                    "type": "string"
                  }
                },
                "style": "form",
                "explode": true
              },
              "FilterCategory": {
                "name": "category",
                "in": "query",
                "required": false,
                "description": "Only events of streams in this category (the stream name before its first `-`).",
                "schema": {
                  "type": "string"
                }
              },
              "FilterPrefix": {
                "name": "prefix",
                "in": "query",
                "required": false,
                "description": "Only events of streams whose names start with this.",
                "schema": {
                  "type": "string"
                }
              }
            },
            "headers": {
              "XRequestID": {
                "description": "The request's correlation id: the client's, or one the server made.",
                "schema": {
                  "type": "string"
                }
              },
              "TallyPosition": {
                "description": "The log position the answer reflects.",
                "schema": {
                  "type": "integer",
                  "minimum": 0
                }
              },
              "Link": {
                "description": "`<next page>; rel=\"next\"` when there is a next page.",
                "schema": {
                  "type": "string"
                }
              },
              "IdempotentReplayed": {
                "description": "`true` when the answer is the original one to an earlier identical request.",
                "schema": {
                  "type": "string",
                  "enum": [
                    "true"
                  ]
                }
              },
              "RetryAfter": {
                "description": "Seconds to wait before retrying.",
                "schema": {
                  "type": "integer"
                }
              },
              "WWWAuthenticate": {
                "description": "`Bearer realm=\"tally\"`, with `error=\"invalid_token\"` for a key that is not valid.",
                "schema": {
                  "type": "string"
                }
              },
              "CacheControl": {
                "description": "`no-store`.",
                "schema": {
                  "type": "string"
                }
              }
            },
            "responses": {
              "BadRequest": {
                "description": "The request is not valid.",
                "headers": {
                  "X-Request-ID": {
                    "$ref": "#/components/headers/XRequestID"
                  }
                },
                "content": {
                  "application/problem+json": {
                    "schema": {
                      "$ref": "#/components/schemas/Problem"
                    }
                  }
                }
              },
              "Unauthorized": {
                "description": "`unauthorized`: no API key, or one that is not valid or was revoked.",
                "headers": {
                  "X-Request-ID": {
                    "$ref": "#/components/headers/XRequestID"
                  },
                  "WWW-Authenticate": {
                    "$ref": "#/components/headers/WWWAuthenticate"
                  }
                },
                "content": {
                  "application/problem+json": {
                    "schema": {
                      "$ref": "#/components/schemas/Problem"
                    }
                  }
                }
              },
              "Forbidden": {
                "description": "`forbidden`: the key's role lacks the permission; `role` and `permission` say which.",
                "headers": {
                  "X-Request-ID": {
                    "$ref": "#/components/headers/XRequestID"
                  }
                },
                "content": {
                  "application/problem+json": {
                    "schema": {
                      "$ref": "#/components/schemas/Problem"
                    }
                  }
                }
              },
              "NotFound": {
                "description": "Not found.",
                "headers": {
                  "X-Request-ID": {
                    "$ref": "#/components/headers/XRequestID"
                  }
                },
                "content": {
                  "application/problem+json": {
                    "schema": {
                      "$ref": "#/components/schemas/Problem"
                    }
                  }
                }
              },
              "Conflict": {
                "description": "The log's state refuses the request.",
                "headers": {
                  "X-Request-ID": {
                    "$ref": "#/components/headers/XRequestID"
                  }
                },
                "content": {
                  "application/problem+json": {
                    "schema": {
                      "$ref": "#/components/schemas/Problem"
                    }
                  }
                }
              },
              "ContentTooLarge": {
                "description": "`body-too-large`: the body exceeds 1 MiB; `maxBytes` gives the limit.",
                "headers": {
                  "X-Request-ID": {
                    "$ref": "#/components/headers/XRequestID"
                  }
                },
                "content": {
                  "application/problem+json": {
                    "schema": {
                      "$ref": "#/components/schemas/Problem"
                    }
                  }
                }
              },
              "UnprocessableContent": {
                "description": "Well-formed, but refused.",
                "headers": {
                  "X-Request-ID": {
                    "$ref": "#/components/headers/XRequestID"
                  }
                },
                "content": {
                  "application/problem+json": {
                    "schema": {
                      "$ref": "#/components/schemas/Problem"
                    }
                  }
                }
              },
              "ServiceUnavailable": {
                "description": "`request-timeout` (no answer within 30 s), `overloaded` (too many writes waiting), `busy`, or `shutting-down`; retry after `Retry-After` seconds.",
                "headers": {
                  "X-Request-ID": {
                    "$ref": "#/components/headers/XRequestID"
                  },
                  "Retry-After": {
                    "$ref": "#/components/headers/RetryAfter"
                  }
                },
                "content": {
                  "application/problem+json": {
                    "schema": {
                      "$ref": "#/components/schemas/Problem"
                    }
                  }
                }
              },
              "InsufficientStorage": {
                "description": "`storage-full`: nothing was written; the disk or the map is full.",
                "headers": {
                  "X-Request-ID": {
                    "$ref": "#/components/headers/XRequestID"
                  }
                },
                "content": {
                  "application/problem+json": {
                    "schema": {
                      "$ref": "#/components/schemas/Problem"
                    }
                  }
                }
              }
            }
          }
        }
        """#
}
