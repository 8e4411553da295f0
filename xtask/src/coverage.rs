//! The specs cover every Ingrid API of the connection guide, in the shape this project decided.

#[cfg(test)]
mod tests {
    use std::path::Path;

    use ingrid_openapi::{SpecSet, operations};
    use serde_json::Value;

    /// The APIs of GRTgaz's connection guide, by domain slug.
    const GUIDE: &[(&str, &[&str])] = &[
        (
            "portfolio",
            &[
                "upstream-allocated-capacities",
                "standardized-capacity-subscriptions",
                "downstream-allocated-capacities",
                "services",
            ],
        ),
        ("confirmation-notice", &["confirmation-notice"]),
        ("operational-capacity-notice", &["operational-notices"]),
        (
            "maintenance-schedule",
            &["consolidated-maintenance-programs"],
        ),
        (
            "measures",
            &[
                "supply-links",
                "pce-connection-links",
                "daily-measures",
                "hourly-measures",
            ],
        ),
        (
            "allocations",
            &[
                "daily-allocations",
                "hourly-allocations",
                "daily-imbalances",
                "daily-exceeding",
                "hourly-exceeding",
            ],
        ),
        (
            "balancing",
            &[
                "common-indicators",
                "daily-contractual-forecasts",
                "intraday-distributed-quantities",
                "hourly-allocations",
            ],
        ),
    ];

    const ERROR_STATUSES: [&str; 6] = ["400", "401", "403", "404", "429", "500"];

    fn resolve<'a>(spec: &'a Value, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => spec.pointer(reference.trim_start_matches('#')).unwrap(),
            None => value,
        }
    }

    #[test]
    fn every_api_of_the_connection_guide_has_an_operation_of_the_decided_shape() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
        let set = SpecSet::load_dir(&dir).unwrap();
        let mut count = 0;

        for (domain, apis) in GUIDE {
            let bundle = set.bundle(&format!("{domain}.yaml")).unwrap().value;
            assert_eq!(bundle["openapi"], "3.0.3", "{domain}");
            let servers: Vec<&str> = bundle["servers"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|server| server["url"].as_str())
                .collect();
            assert_eq!(
                servers,
                [
                    "https://api.ingrid.grtgaz.com",
                    "https://api.ingrid-stg.grtgaz.com"
                ]
            );
            let schemes = &bundle["components"]["securitySchemes"];
            let token_urls: Vec<&str> = ["ingridProduction", "ingridStaging"]
                .iter()
                .map(|name| {
                    schemes[name]["flows"]["clientCredentials"]["tokenUrl"]
                        .as_str()
                        .unwrap()
                })
                .collect();
            assert_eq!(
                token_urls,
                [
                    "https://auth-api.offre.grtgaz.com/oauth2/token",
                    "https://auth-api.offre-stg.grtgaz.com/oauth2/token"
                ]
            );

            let security: Vec<&str> = bundle["security"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|requirement| requirement.as_object().unwrap().keys())
                .map(String::as_str)
                .collect();
            assert_eq!(security, ["ingridProduction", "ingridStaging"], "{domain}");

            let found = operations(&bundle);
            assert_eq!(found.len(), apis.len(), "{domain}");
            for api in *apis {
                let path = format!("/v1/{domain}/{api}");
                let operation = found
                    .iter()
                    .find(|operation| operation.path == path && operation.method == "get")
                    .unwrap_or_else(|| panic!("no GET {path}"));
                let parameters: Vec<(&str, bool)> = operation.operation["parameters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|parameter| resolve(&bundle, parameter))
                    .map(|parameter| {
                        let required = parameter["required"].as_bool().unwrap_or(false);
                        (parameter["name"].as_str().unwrap(), required)
                    })
                    .collect();
                for required in ["contractCode", "gasDayFrom", "gasDayTo"] {
                    assert!(parameters.contains(&(required, true)), "{path}: {required}");
                }
                for optional in ["page", "size"] {
                    assert!(
                        parameters.contains(&(optional, false)),
                        "{path}: {optional}"
                    );
                }

                let responses = &operation.operation["responses"];
                let ok = resolve(&bundle, &responses["200"]);
                assert!(
                    ok["content"]["application/json"]["example"].is_object(),
                    "{path}"
                );
                for status in ERROR_STATUSES {
                    let error = resolve(&bundle, &responses[status]);
                    let problem = &error["content"]["application/problem+json"];
                    assert!(problem["schema"].is_object(), "{path}: {status}");
                    assert!(problem["example"].is_object(), "{path}: {status}");
                }
                count += 1;
            }
        }
        assert_eq!(count, 20);
    }
}
