//! Create Bucket: a new bucket in a region.

use connector_core::framework::types::{NewBucketName, Region};
use connector_core::{
    Body, Context, Method, Module, ModuleKind, Result, Target, async_trait, register_module,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The bucket to create.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBucketInput {
    /// The name of the new bucket, unique across all AWS accounts: 3 to 63 characters,
    /// lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.
    #[schemars(title = "Name")]
    pub bucket: NewBucketName,

    /// The region to create the bucket in, e.g. `eu-west-1`. Empty: the connection's region.
    #[serde(default)]
    #[schemars(title = "Region", extend("x-options" = {"provider": "regions"}))]
    pub region: Option<Region>,
}

/// The bucket that was created.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CreateBucketOutput {
    /// The bucket's name.
    pub bucket: String,
    /// The region it was created in.
    pub region: String,
    /// Where S3 says the bucket is (the `Location` header), e.g. `/my-bucket`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// Creates a bucket.
pub struct CreateBucket;

#[derive(Serialize)]
struct CreateBucketConfiguration<'a> {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "LocationConstraint")]
    location_constraint: &'a str,
}

#[async_trait]
impl Module for CreateBucket {
    type Input = CreateBucketInput;
    type Output = CreateBucketOutput;
    const NAME: &'static str = "create_bucket";
    const LABEL: &'static str = "Create Bucket";
    const KIND: ModuleKind = ModuleKind::Action;
    const DESCRIPTION: &'static str = "Creates a new bucket in the chosen region.";

    async fn run(&self, ctx: &Context, input: CreateBucketInput) -> Result<CreateBucketOutput> {
        let client = ctx.client();
        let region = input
            .region
            .map(String::from)
            .unwrap_or_else(|| client.region().to_owned());
        let mut request = client
            .request(Method::PUT, Target::bucket(&input.bucket))
            .in_region(&region);
        // us-east-1 is the default location: S3 refuses it as an explicit constraint.
        if region != "us-east-1" {
            let xml = connector_core::wire::xml::to_string(
                "CreateBucketConfiguration",
                &CreateBucketConfiguration {
                    xmlns: "http://s3.amazonaws.com/doc/2006-03-01/",
                    location_constraint: &region,
                },
            )?;
            request = request.body(Body::from_bytes(xml)).with_content_md5();
        }
        let response = request.send().await.map_err(|err| match err.code() {
            Some("BucketAlreadyOwnedByYou") => err.context(format!(
                "you already own a bucket called {:?}",
                input.bucket
            )),
            _ => err,
        })?;
        Ok(CreateBucketOutput {
            location: response.header("location").map(str::to_owned),
            bucket: input.bucket.into(),
            region,
        })
    }
}

register_module!(CreateBucket);
