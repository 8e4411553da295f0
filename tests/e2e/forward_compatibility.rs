//! GRTgaz adds fields and enum values without notice; a response with them still decodes.

use httpmock::prelude::*;
use ingrid::types::{DataStatus, Direction};
use serde_json::json;

use crate::support::{self, CONTRACT, TOKEN};

#[tokio::test]
async fn an_unknown_enum_value_and_an_unknown_field_decode_and_are_kept() {
    let server = MockServer::start_async().await;
    support::token_endpoint(&server, TOKEN, 7200).await;
    let body = json!({
        "contractCode": CONTRACT,
        "gasDayFrom": "2025-01-15",
        "gasDayTo": "2025-01-15",
        "data": [{
            "gasDay": "2025-01-15",
            "pointCode": "PR0137",
            "pointType": "PIR",
            "direction": "BIDIRECTIONAL",
            "allocatedQuantity": 23500000,
            "allocationMethod": "NEURAL_FORECAST",
            "unit": "kWh",
            "status": "PROVISIONAL",
            "gcvReference": {"combustionTemperatureC": 25}
        }],
        "page": {"number": 0, "size": 500, "totalElements": 1, "totalPages": 1, "sorted": true},
        "generatedAt": "2025-01-16T11:42:10+01:00"
    });
    support::resource(&server, "/v1/allocations/daily-allocations", body.clone()).await;

    let page = support::client(&server)
        .allocations()
        .get_daily_allocations()
        .contract_code(CONTRACT)
        .gas_day_from("2025-01-15")
        .gas_day_to("2025-01-15")
        .send()
        .await
        .unwrap()
        .into_inner();

    let row = &page.data[0];
    assert_eq!(
        row.direction,
        Direction::Unknown("BIDIRECTIONAL".to_owned())
    );
    assert_eq!(row.status, DataStatus::Provisional);
    assert_eq!(
        row.allocation_method.as_ref().unwrap().as_str(),
        "NEURAL_FORECAST"
    );
    assert_eq!(
        row.extra["gcvReference"],
        json!({"combustionTemperatureC": 25})
    );
    assert_eq!(page.page.extra["sorted"], json!(true));
    assert_eq!(
        page.extra["generatedAt"],
        json!("2025-01-16T11:42:10+01:00")
    );
    // Written back, the response is what the server sent.
    assert_eq!(serde_json::to_value(&page).unwrap(), body);
}
