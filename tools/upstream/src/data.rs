//! Data sets served under `/data/...` for the transform examples
//! (`anyedge.toml`, `conformance/cases/80-transform.json`).
//!
//! | path | answer |
//! |---|---|
//! | `/data/users` | `{"total": n, "users": [...]}`: users with personal fields |
//! | `/data/users/{id}` | one user with contact, address and orders; 404 for an unknown id; `u-legacy` lacks an e-mail |
//! | `/data/prices` | `{"currency": "EUR", "prices": [{"sku", "name", "unit_price"}]}` |
//! | other `/data/...` | 404 |

use serde_json::{json, Value};

fn users() -> Value {
    json!([
        {
            "id": "u-1001", "first_name": "Ada", "last_name": "Lovelace",
            "email": "ada@example.org", "phone": "+44 20 7946 0001",
            "role": "admin", "active": true, "signed_up": "2023-01-15",
            "address": {"street": "12 St James's Square", "city": "London", "postcode": "SW1Y 4JH", "country": "GB"}
        },
        {
            "id": "u-1002", "first_name": "Grace", "last_name": "Hopper",
            "email": "grace@example.com", "phone": "+1 202 555 0102",
            "role": "member", "active": true, "signed_up": "2023-03-02",
            "address": {"street": "1 Navy Way", "city": "Arlington", "postcode": "22202", "country": "US"}
        },
        {
            "id": "u-1003", "first_name": "Alan", "last_name": "Turing",
            "email": "alan@example.net", "phone": "+44 161 496 0003",
            "role": "member", "active": false, "signed_up": "2022-11-30",
            "address": {"street": "Hollymeade", "city": "Wilmslow", "postcode": "SK9 1LA", "country": "GB"}
        },
        {
            "id": "u-1004", "first_name": "Barbara", "last_name": "Liskov",
            "email": "barbara@example.edu", "phone": "+1 617 555 0104",
            "role": "admin", "active": true, "signed_up": "2024-05-20",
            "address": {"street": "32 Vassar St", "city": "Cambridge", "postcode": "02139", "country": "US"}
        },
        {
            "id": "u-1005", "first_name": "Edsger", "last_name": "Dijkstra",
            "email": "edsger@example.nl", "phone": "+31 40 555 0105",
            "role": "member", "active": true, "signed_up": "2024-02-11",
            "address": {"street": "Planetenlaan 16", "city": "Nuenen", "postcode": "5672", "country": "NL"}
        }
    ])
}

fn user(id: &str) -> Option<Value> {
    if id == "u-legacy" {
        // Imported from an old system: no e-mail, so the profile filter fails.
        return Some(json!({
            "id": "u-legacy", "name": "Legacy Account",
            "contact": {"email": null, "phone": "+1 202 555 0199"}
        }));
    }
    let u = users().as_array()?.iter().find(|u| u["id"] == id)?.clone();
    Some(json!({
        "id": u["id"],
        "name": format!("{} {}", u["first_name"].as_str()?, u["last_name"].as_str()?),
        "role": u["role"],
        "date_of_birth": "1815-12-10",
        "contact": {"email": u["email"], "phone": u["phone"]},
        "address": u["address"],
        "orders": [
            {"id": "o-1", "total": 42.5, "ship_to": {"street": u["address"]["street"], "city": u["address"]["city"]}},
            {"id": "o-2", "total": 7, "ship_to": {"street": u["address"]["street"], "city": u["address"]["city"]}}
        ]
    }))
}

fn prices() -> Value {
    json!({
        "currency": "EUR",
        "prices": [
            {"sku": "A-100", "name": "Widget", "unit_price": 2.5},
            {"sku": "B-200", "name": "Gadget", "unit_price": 10},
            {"sku": "C-300", "name": "Gizmo", "unit_price": 0.75}
        ]
    })
}

/// The answer for `path` (raw, not decoded) and `query`, or `None` when the
/// path is not a data path.
pub(crate) fn respond(path: &str, _query: &str) -> Option<(u16, Value)> {
    let rest = path.strip_prefix("/data/")?;
    let not_found = || (404, json!({"error": "no such data"}));
    let segments: Vec<&str> = rest.split('/').collect();
    Some(match segments.as_slice() {
        ["users"] => {
            let users = users();
            let total = users.as_array().map_or(0, Vec::len);
            (200, json!({"total": total, "users": users}))
        }
        ["users", id] => user(id).map_or_else(not_found, |u| (200, u)),
        ["prices"] => (200, prices()),
        _ => not_found(),
    })
}
