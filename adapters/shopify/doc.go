// Package shopify is the channel adapter for a Shopify store, speaking the
// GraphQL Admin API (REST is legacy). It owns the wire format: the
// documents sent, the shapes read back, the mapping of userErrors and
// top-level errors to the failures of package adapters, and the pacing
// from the cost extension of every answer. It does not own what to write:
// the controller's plan says that.
//
// Config:
//
//	config {
//	  shop         = "northwind-audio"            # the myshopify subdomain
//	  api_version  = "2025-04"                    # default
//	  access_token = env("SHOPIFY_ACCESS_TOKEN")  # only through env()
//	  location     = "123456"                     # default: the only active location
//	  endpoint     = "http://127.0.0.1:8080"      # replaces https://{shop}.myshopify.com
//	}
//
// What it reads (Observe): productVariants, paged by cursor, 100 a page
// (searched with sku:"..." OR ... when accord names the SKUs): sku, price,
// compareAtPrice, barcode (the gtin field), the inventory item's
// "available" quantity at the location (a variant not stocked there is
// unmanaged), and its product's title, descriptionHtml (the description
// field) and status. The product, variant and inventory item IDs, with a
// hash of the SKU, are the listing's adapters.Ref.
//
// A full read (adapters.BulkObserver) first counts the variants
// (productVariantsCount): up to 5,000 it pages as above; past that it runs
// the same read as one bulkOperationRunQuery (the location written into the
// query, connections as edges { node }), polls currentBulkOperation(type:
// QUERY) until COMPLETED, and reads the JSONL result, one variant a line,
// from its signed URL, to which the access token is not sent. Sources:
// https://shopify.dev/docs/api/usage/bulk-operations/queries and the
// BulkOperation, BulkOperationStatus and BulkOperationUserErrorCode types
// of the schema.
//
// What it writes (Apply), every change of a batch in one mutation request,
// each mutation aliased:
//   - price, compare-at price and gtin (barcode): productVariantsBulkUpdate,
//     one per product, all or nothing (allowPartialUpdates false);
//   - quantity: inventorySetQuantities, name "available", reason
//     "correction", every quantity of the batch in one (an inventory item
//     twice in a second one: NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR),
//     with compareQuantity set to the observed quantity;
//     COMPARE_QUANTITY_STALE is an adapters.ConflictError, never an
//     overwrite of a sale, and the other quantities of that mutation an
//     unknown outcome (TemporaryError with Timeout), since the reference
//     does not say whether it is all or nothing. From api_version
//     2026-04 on, the compared quantity is changeFromQuantity (stale:
//     CHANGE_FROM_QUANTITY_STALE) and the mutation carries an
//     @idempotent(key:) directive with a fresh UUID;
//   - title and description: productUpdate;
//   - a missing listing (adapters.Creator): productSet, synchronous, a
//     product of one variant (option Title, value Default Title: the name
//     Shopify gives the option of a product without options, and asks for
//     in its userError "You need to add option values for Title", as seen
//     on community.shopify.com; the reference pages do not state it, so it
//     is the one wire detail here confirmed only by what Shopify answers).
//
// userErrors fail the changes their field path names (a
// adapters.RejectedError, or a ConflictError for a stale compared
// quantity); the other changes of an all-or-nothing mutation fail as
// temporary. A top-level THROTTLED error or HTTP 429 is an
// adapters.ThrottledError and pauses the account's budget; 401, 402 (a
// frozen shop), 403 and the top-level codes ACCESS_DENIED and SHOP_INACTIVE
// an AuthError; 5xx and INTERNAL_SERVER_ERROR a TemporaryError (unknown
// outcome for a write); an answer that is not the documented JSON (an HTML
// page, truncated JSON) or another top-level error (MAX_COST_EXCEEDED) a
// BadResponseError. The status and top-level codes are those of
// https://shopify.dev/docs/api/usage/response-codes; the ACCESS_DENIED
// message form ("Access denied for <field>. Required access: <scope>")
// is from the changelog entry "New error messages for GraphQL operations
// without necessary access scopes".
//
// Pacing: every answer's extensions.cost.throttleStatus
// (maximumAvailable, currentlyAvailable, restoreRate) is learned into the
// account's adapters.Budget (writes at the whole restore rate and bucket,
// reads at half, so that a long read never starves the writes that stop an
// oversell), and a request is sent only
// when the shop's bucket, as last reported and refilled since, holds the
// operation's requested cost as last reported, so that a steady apply draws
// no THROTTLED.
//
// The access token is read from the config (through env()) into the client
// and sent only as the X-Shopify-Access-Token header; it is never logged
// and no error carries it.
//
// Sources of the wire format (nothing is guessed):
//   - the Admin API 2025-04 schema (SDL) in shopifytest/schema, against
//     which the fake store (package shopifytest) validates every document
//     and its variables: ecom-labs-hq/
//     shopify-api-client src/2025-04/codegen/schema.graphql @ 5e5c596e, MIT
//     (shopifytest/schema/LICENSE.ecom-labs-hq-shopify-api-client), generated from
//     https://shopify.dev/admin-graphql-direct-proxy/2025-04; mutation
//     signatures, input types, userError codes (InventorySetQuantities-
//     UserErrorCode, ProductVariantsBulkUpdateUserErrorCode) and the
//     productVariantsBulkUpdate all-or-nothing rule are from it;
//   - the sku filter of productVariants(query:) and OR between terms: the
//     query argument's description in the schema; values quoted with \\ and \"
//     escaped: https://shopify.dev/docs/api/usage/search-syntax;
//   - URL /admin/api/{version}/graphql.json and the X-Shopify-Access-Token
//     header: Shopify/shopify-app-js packages/api-clients/admin-api-client
//     (src/graphql/client.ts, src/constants.ts);
//   - the cost extension and the THROTTLED error shape: Shopify/shopify-app-js
//     graphql-client src/graphql-client/types.ts (GQLExtensions) and the
//     admin-api-client README; the default wait of 1 s without Retry-After:
//     graphql-client http-fetch.ts;
//   - rate limits: https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits
//     (restore rate 100 points/s Standard, 200 Advanced, 1000 Plus; an
//     object costs 1, a mutation 10; a query at most 1,000);
//   - reason "correction" and name "available":
//     https://shopify.dev/docs/apps/fulfillment/inventory-management-apps/quantities-states
//     and https://shopify.dev/docs/api/admin-graphql/2025-04/input-objects/InventorySetQuantitiesInput;
//   - changeFromQuantity and CHANGE_FROM_QUANTITY_STALE from 2026-04:
//     https://shopify.dev/docs/api/admin-graphql/latest/mutations/inventorySetQuantities
//     and .../enums/InventorySetQuantitiesUserErrorCode; the @idempotent
//     directive, optional from 2026-01 and required from 2026-04:
//     https://shopify.dev/changelog/making-idempotency-mandatory-for-inventory-adjustments-and-refund-mutations
//     and https://shopify.dev/docs/api/usage/idempotent-requests.
//
// Not yet here: bulk mutations (bulkOperationRunMutation) for very large
// applies.
package shopify
